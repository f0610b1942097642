/**
 * `cairn doctor`'s proxy lines: which proxy each kind of address goes through (the password masked),
 * what goes direct (Telegram's Bot API and Slack's Socket Mode follow the proxy like the rest; Discord's
 * gateway cannot), and whether the company's CA (NODE_EXTRA_CA_CERTS) is one Node can have read. Node reads
 * that variable once, as the process starts: written in `.env` it does nothing, and TLS through an
 * inspecting proxy then fails with "unable to get local issuer certificate" everywhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { maskedProxy } from '../config/proxy.js';
import { readDotenv } from '../config/dotenv.js';
import type { Config, Env } from '../config/load.js';
import { enabledPlatforms } from '../core/adapter-factory.js';
import { proxyConfigured } from '../proxy/dispatcher.js';
import type { CheckResult } from './doctor.js';

export function checkProxy(config: Config, env: Env, cwd: string): CheckResult[] {
  const { proxy } = config;
  const results: CheckResult[] = [];
  if (proxyConfigured(proxy)) {
    const ways = [
      proxy.https ? `https:// through ${maskedProxy(proxy.https)} (${proxy.names.https})` : 'https:// directly (no HTTPS_PROXY)',
      proxy.http ? `http:// through ${maskedProxy(proxy.http)} (${proxy.names.http})` : 'http:// directly (no HTTP_PROXY)',
    ];
    const direct = ['this machine (localhost, 127.0.0.1, ::1)', ...(proxy.noProxy.length > 0 ? [`${proxy.noProxy.join(', ')} (${proxy.names.noProxy})`] : [])];
    // discord.js opens its gateway with the ws package and takes no agent for it: only its REST calls follow the proxy.
    const discord = enabledPlatforms(config).includes('discord') && proxy.https ? ' Discord\'s gateway (wss://gateway.discord.gg) is opened directly: discord.js takes no proxy for it, so the network must let it out.' : '';
    results.push({ name: 'proxy', ok: true, detail: `${ways.join('; ')}; directly: ${direct.join(', ')}.${discord}` });
  }
  const extraCa = env.NODE_EXTRA_CA_CERTS?.trim();
  const dotenvPath = resolve(cwd, '.env');
  const inDotenv = !extraCa && existsSync(dotenvPath) ? readDotenv(dotenvPath).NODE_EXTRA_CA_CERTS?.trim() : undefined;
  if (inDotenv) {
    results.push({ name: 'company CA', ok: false, detail: `NODE_EXTRA_CA_CERTS is set in ${dotenvPath}, where it does nothing: Node reads it only from the environment it starts with. Set it there (systemd Environment=, docker run -e, export before cairn start) and remove it from .env.` });
  } else if (extraCa) {
    results.push(caCheck(extraCa));
  }
  return results;
}

function caCheck(path: string): CheckResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { name: 'company CA', ok: false, detail: `NODE_EXTRA_CA_CERTS names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): Node ignored it, and TLS through a proxy that inspects it will fail. Give the path of the company's CA certificate (PEM).` };
  }
  const count = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (count === 0) return { name: 'company CA', ok: false, detail: `NODE_EXTRA_CA_CERTS names ${path}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----): convert a .cer/.der one with openssl x509 -inform der -in ca.cer -out ca.pem.` };
  return { name: 'company CA', ok: true, detail: `${path} (${count} certificate${count === 1 ? '' : 's'}) trusted besides Node's own, as NODE_EXTRA_CA_CERTS` };
}

/**
 * `cairn doctor`'s checks of settings that name other settings: where admins are told
 * things (CAIRN_ADMIN_CHANNEL), who may read the metrics, and who may read the `.env` that
 * holds the tokens. No network.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readDotenv } from '../config/dotenv.js';
import type { Config } from '../config/load.js';
import { enabledPlatforms } from '../core/adapter-factory.js';
import type { CheckResult } from './doctor.js';

/**
 * The conversation ids each adapter can post to (their own `conversationIdOf` shapes). A bare
 * channel id (`slack:C0123`, `discord:<channel>`) or a Telegram @name passed doctor, and
 * every audit report and approval request for admins then failed to send.
 */
const CONVERSATION_SHAPES: Record<string, { pattern: RegExp; form: string }> = {
  slack: { pattern: /^slack:[^:\s]+:[^:\s]+(:[^:\s]+)*$/, form: 'slack:<team id>:<channel id> (slack:T0123:C0456)' },
  discord: { pattern: /^discord:(\d+|dm):\d+$/, form: 'discord:<server id>:<channel id> (numbers, e.g. discord:1122:3344)' },
  telegram: { pattern: /^telegram:-?\d+(:[^:\s]+)*$/, form: 'telegram:<chat id> (a number, e.g. telegram:-100123; not an @name)' },
};

/** Audit reports and approval requests for admins go to the admin channel: its platform must run. */
export function checkAdminChannel(config: Config): CheckResult[] {
  const channel = config.learning.adminChannel;
  if (!channel) return [];
  const [platform = '', ...rest] = channel.split(':');
  const running: string[] = enabledPlatforms(config);
  if (rest.length === 0 || rest.some((part) => part === '')) {
    return [{ name: 'admin channel', ok: false, detail: `CAIRN_ADMIN_CHANNEL is "${channel}", which is no conversation id: use the form platform:…, as \`/export\` or the logs show it (slack:T1:C1, telegram:-100123, discord:<guild>:<channel>).` }];
  }
  const shape = CONVERSATION_SHAPES[platform];
  if (shape && !shape.pattern.test(channel)) {
    return [{ name: 'admin channel', ok: false, detail: `CAIRN_ADMIN_CHANNEL is "${channel}", which ${platform} cannot post to: write it as ${shape.form}, as \`/export\` or the logs show it.` }];
  }
  if (!running.includes(platform)) {
    const configured = running.length > 0 ? `configured: ${running.join(', ')}` : 'none is configured';
    return [{ name: 'admin channel', ok: false, detail: `CAIRN_ADMIN_CHANNEL is on ${platform}, which Cairn does not run (${configured}): audit reports and approval requests for admins would go nowhere. Point it at a conversation of a configured platform.` }];
  }
  return [{ name: 'admin channel', ok: true, detail: `${channel}: audit reports, and approval requests of people who are not admins` }];
}

/** Metrics served without a token are open to whoever reaches the port. */
export function checkMetrics(config: Config): CheckResult[] {
  if (!config.metrics.enabled) return [];
  const where = `GET /metrics on port ${config.httpPort}`;
  return [{ name: 'metrics', ok: true, detail: config.metrics.token ? `${where}, with the bearer token` : `${where}, open to whoever reaches the port (set CAIRN_METRICS_TOKEN unless only your network does)` }];
}

/** Settings that are secrets (API keys, bot tokens, signing secrets) by their names. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD)$/;

/** A `.env` holding tokens should be readable by its owner only, as `cairn setup` writes it. */
export function checkEnvFile(dir: string): CheckResult[] {
  const path = join(dir, '.env');
  if (process.platform === 'win32' || !existsSync(path)) return [];
  const secrets = Object.keys(readDotenv(path)).filter((name) => SECRET_NAME.test(name));
  if (secrets.length === 0) return [];
  const open = statSync(path).mode & 0o077;
  if (open === 0) return [{ name: '.env', ok: true, detail: `${path} holds ${secrets.join(', ')}, readable by its owner only` }];
  return [{ name: '.env', ok: false, detail: `${path} holds ${secrets.join(', ')} and other users on this machine can read it: run \`chmod 600 ${path}\`.` }];
}

/**
 * The outbound proxy, from the variables every corporate machine already sets: HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY, in either case (the lower-case one wins when both are set, as curl, undici and Python's requests
 * read them). They are read from the environment and from `.env`, like Cairn's own variables; they are no
 * CAIRN_* settings, so the config file has no key for them. src/proxy/ routes requests by them.
 *
 * A proxy written without a scheme (`proxy.corp:3128`, as curl accepts) is an http:// one. A SOCKS proxy
 * is refused with a message: nothing in Cairn speaks SOCKS, and going direct instead would be a surprise.
 */
import type { Env } from './load.js';

export interface ProxyConfig {
  /**
   * For https:// (and wss://) addresses: HTTPS_PROXY, else HTTP_PROXY (as undici's EnvHttpProxyAgent does; curl
   * would go direct): a network whose only way out is a proxy set in HTTP_PROXY alone has no direct way to try.
   */
  https?: URL;
  /** For http:// addresses. */
  http?: URL;
  /** NO_PROXY's entries, lower case, as written (hosts, .domains, *.domains, addresses, CIDR ranges, host:port, or *). */
  noProxy: string[];
  /** The variables these came from, for doctor and for the messages that name what to set. */
  names: { https?: string; http?: string; noProxy?: string };
}

/** Reads the proxy variables; problems are pushed as lines naming the variable to fix. */
export function readProxyConfig(env: Env, problems: string[]): ProxyConfig {
  const pick = (name: string) => {
    for (const variable of [name.toLowerCase(), name]) {
      const value = env[variable]?.trim();
      if (value) return { variable, value };
    }
    return undefined;
  };
  const names: ProxyConfig['names'] = {};
  const config: ProxyConfig = { noProxy: [], names };
  const httpSetting = pick('HTTP_PROXY');
  const httpsSetting = pick('HTTPS_PROXY') ?? httpSetting;
  const http = httpSetting && proxyUrl(httpSetting.variable, httpSetting.value, problems);
  const https = httpsSetting && (httpsSetting === httpSetting ? http : proxyUrl(httpsSetting.variable, httpsSetting.value, problems));
  if (http) {
    config.http = http;
    names.http = httpSetting.variable;
  }
  if (https) {
    config.https = https;
    names.https = httpsSetting.variable;
  }
  const noProxy = pick('NO_PROXY');
  if (noProxy) {
    config.noProxy = noProxy.value.split(/[\s,]+/).map((entry) => entry.trim().toLowerCase()).filter((entry) => entry.length > 0);
    names.noProxy = noProxy.variable;
  }
  return config;
}

function proxyUrl(variable: string, value: string, problems: string[]): URL | undefined {
  // `proxy.corp:3128` would parse as a URL whose scheme is "proxy.corp": a scheme is one before ://.
  const written = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    problems.push(`${variable}: ${JSON.stringify(maskedProxy(value))} is not a proxy address; write it as http://host:port (with user:password@ before the host when the proxy asks for them).`);
    return undefined;
  }
  if (url.protocol.startsWith('socks')) {
    problems.push(`${variable}: ${maskedProxy(value)} is a SOCKS proxy, and Cairn reaches the internet only through an HTTP proxy (CONNECT). Give the company's HTTP proxy (http://host:port), or unset ${variable}.`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${variable}: ${maskedProxy(value)} is not an http:// or https:// proxy address.`);
    return undefined;
  }
  return url;
}

/** A proxy address fit to print: its password (if any) as ***. */
export function maskedProxy(address: string | URL): string {
  const text = String(address);
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** The proxy's password (decoded), for the list of secrets logs redact. */
export function proxySecrets(config: ProxyConfig): string[] {
  return [config.http, config.https].flatMap((url) => (url?.password ? [decodeURIComponent(url.password), url.password] : []));
}

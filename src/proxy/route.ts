/**
 * Which proxy, if any, a request to an address goes through: the one HTTPS_PROXY or HTTP_PROXY names for
 * its scheme, unless NO_PROXY names its host, or the host is this machine (a local Ollama or vLLM, the
 * fakes of the tests: a proxy on another machine could not reach them, whatever NO_PROXY says).
 *
 * NO_PROXY is read as curl reads it: `*` is every host; `corp.example` and `.corp.example` (and
 * `*.corp.example`) are that domain and every name under it; an address is that address; `10.0.0.0/8` is a
 * range of addresses (as curl 7.86 and later); any of them with `:port` only that port.
 */
import { BlockList, isIP } from 'node:net';
import type { ProxyConfig } from '../config/proxy.js';

export function proxyFor(address: string | URL, config: ProxyConfig): URL | undefined {
  const url = typeof address === 'string' ? new URL(address) : address;
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const proxy = secure ? config.https : url.protocol === 'http:' || url.protocol === 'ws:' ? config.http : undefined;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const port = url.port || (secure ? '443' : '80');
  if (isLoopback(host) || config.noProxy.some((entry) => bypasses(entry, host, port))) return undefined;
  return proxy;
}

/** Whether a host is this machine: localhost (and names under it, RFC 6761), 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  return family === 6 && LOOPBACK6.check(host, 'ipv6');
}

const LOOPBACK6 = new BlockList();
LOOPBACK6.addAddress('::1', 'ipv6');
LOOPBACK6.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  // host:port, [v6]:port; a bare IPv6 address has colons of its own.
  const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  const pattern = (withPort ? withPort[1] ?? '' : entry).replace(/^\[|\]$/g, '');
  if (withPort && withPort[2] !== port) return false;
  const range = /^(.+)\/(\d{1,3})$/.exec(pattern);
  if (range) return inRange(host, range[1] ?? '', Number(range[2]));
  if (isIP(pattern) !== 0) return isIP(host) !== 0 && sameAddress(host, pattern);
  const domain = pattern.replace(/^\*?\./, '').replace(/\.$/, '');
  return domain.length > 0 && (host === domain || host.endsWith(`.${domain}`));
}

function inRange(host: string, network: string, prefix: number): boolean {
  const family = isIP(network);
  if (family === 0 || isIP(host) !== family) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

function sameAddress(a: string, b: string): boolean {
  const family = isIP(a);
  const list = new BlockList();
  list.addAddress(b, family === 4 ? 'ipv4' : 'ipv6');
  return isIP(b) === family && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * OpenSSH known_hosts checking for the ssh back end: plain and hashed (`|1|salt|hash`)
 * host patterns, `[host]:port` for non-standard ports, wildcards and negations,
 * and `@revoked` keys. `@cert-authority` lines are ignored (certificates are not
 * supported), so a host known only through a CA is reported as unknown.
 */
import { createHmac } from 'node:crypto';

export type HostKeyVerdict = { ok: true } | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked' };

interface Entry {
  marker: '@revoked' | '@cert-authority' | undefined;
  patterns: string;
  keyType: string;
  key: string;
}

export function parseKnownHosts(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() : undefined;
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) continue;
    entries.push({ marker: marker as Entry['marker'], patterns, keyType, key });
  }
  return entries;
}

/** The name known_hosts files use for a host: `host`, or `[host]:port` off port 22. */
export function hostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}

/** Does one entry's pattern list name this host? A matching negation (`!pattern`) excludes it. */
function entryNames(entry: Entry, name: string): boolean {
  let matched = false;
  for (const pattern of entry.patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (matchesPattern(pattern.slice(1), name)) return false;
    } else if (matchesPattern(pattern, name)) matched = true;
  }
  return matched;
}

/** Checks the server's key (the raw public key blob ssh2 hands over) against known_hosts text. */
export function verifyHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  const names = port === 22 ? [host] : [hostName(host, port)];
  const encoded = key.toString('base64');
  const keyType = key.subarray(4, 4 + key.readUInt32BE(0)).toString();
  const relevant = parseKnownHosts(knownHosts).filter((entry) => entry.marker !== '@cert-authority' && names.some((name) => entryNames(entry, name)));
  if (relevant.some((entry) => entry.marker === '@revoked' && entry.key === encoded)) return { ok: false, reason: 'revoked' };
  const sameType = relevant.filter((entry) => entry.marker === undefined && entry.keyType === keyType);
  if (sameType.some((entry) => entry.key === encoded)) return { ok: true };
  return { ok: false, reason: sameType.length > 0 ? 'mismatch' : 'unknown' };
}

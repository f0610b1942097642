/**
 * `<meta http-equiv="refresh" content="0; url=…">`: the redirect of pages that cannot send a
 * header (static hosting, moved documentation, link shorteners, SSO hand-offs). A browser
 * follows it; web_fetch read the empty page that holds it. Only a prompt one (a few seconds)
 * to another address counts: a dashboard reloading itself every minute is a page to read.
 */

/** Longest delay still taken as a redirect, in seconds. */
const MAX_DELAY_S = 5;
/** Where a refresh may be: in the head, near the top of the document. */
const HEAD_BYTES = 16_384;

const META_TAG = /<meta\b[^>]*>/gi;
const HTTP_EQUIV = /\bhttp-equiv\s*=\s*["']?\s*refresh\b/i;
const CONTENT = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
const DELAY_AND_URL = /^\s*(\d+(?:\.\d*)?)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$/i;

/** The address a page's meta refresh sends a reader to, resolved against the page; undefined when it has none that counts. */
export function metaRefreshTarget(bytes: Uint8Array, pageUrl: string): string | undefined {
  // Latin-1 keeps every byte as one character: the tag's ASCII is found in any ASCII-compatible charset.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEAD_BYTES)).toString('latin1');
  for (const [tag] of head.matchAll(META_TAG)) {
    if (!HTTP_EQUIV.test(tag)) continue;
    const content = CONTENT.exec(tag);
    const value = decodeEntities(content?.[1] ?? content?.[2] ?? content?.[3] ?? '');
    const parsed = DELAY_AND_URL.exec(value);
    const delay = Number(parsed?.[1] ?? '0');
    const target = parsed?.[2]?.trim().replace(/^["']|["']$/g, '').trim() ?? '';
    if (target === '' || !(delay <= MAX_DELAY_S)) return undefined;
    try {
      const resolved = new URL(target, pageUrl);
      if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return undefined;
      return resolved.href === new URL(pageUrl).href ? undefined : resolved.href;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/gi, '&').replace(/&quot;/gi, '"').replace(/&#39;|&apos;/gi, "'").replace(/&#x3d;|&#61;/gi, '=');
}

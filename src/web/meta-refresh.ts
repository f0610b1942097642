/**
 * Refreshes that act as redirects: `<meta http-equiv="refresh" content="0; url=…">`, the redirect of
 * pages that cannot send a header (static hosting, moved documentation, link shorteners, SSO
 * hand-offs), and the `Refresh: 0; url=…` header (PHP's header('Refresh: …')), which browsers read
 * by the same rules. A browser follows either; web_fetch read the empty page that holds it. Only a
 * prompt one (a few seconds) to another address counts: a dashboard reloading itself every minute is
 * a page to read.
 */
import { htmlSource } from './page-text.js';

/** Longest delay still taken as a redirect, in seconds. */
const MAX_DELAY_S = 5;
/** Where a refresh may be: in the head, near the top of the document. */
const HEAD_BYTES = 16_384;

const META_TAG = /<meta\b[^>]*>/gi;
/** HTML comments, `<!-->` and `<!--->` among them, and one left open to the end. */
const COMMENT = /<!--(?:-?>|[\s\S]*?(?:--!?>|$))/g;
const HTTP_EQUIV = /\bhttp-equiv\s*=\s*["']?\s*refresh\b/i;
const CONTENT = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
const DELAY_AND_URL = /^\s*(\d+(?:\.\d*)?)?\s*[;,]?\s*(?:url\s*=\s*)?(.*)$/i;

/** The address an HTML page's meta refresh sends a reader to, resolved against the page; undefined when it has none that counts. */
export function metaRefreshTarget(bytes: Uint8Array, contentType: string, pageUrl: string): string | undefined {
  // In the page's own charset: a UTF-8 page's /café/ is café, not the Latin-1 reading of its bytes.
  const head = htmlSource(bytes.subarray(0, HEAD_BYTES), contentType).replace(COMMENT, '');
  for (const [tag] of head.matchAll(META_TAG)) {
    if (!HTTP_EQUIV.test(tag)) continue;
    const content = CONTENT.exec(tag);
    // The first refresh decides, as in browsers: one that does not count is not passed over for the next.
    return refreshTarget(decodeEntities(content?.[1] ?? content?.[2] ?? content?.[3] ?? ''), pageUrl);
  }
  return undefined;
}

/**
 * A refresh's content (`0; url=/next`, a meta tag's or a `Refresh` header's) as the address to go to
 * now, resolved against the page; undefined for a slow one, one to nowhere or to the page itself.
 */
export function refreshTarget(content: string, pageUrl: string): string | undefined {
  const parsed = DELAY_AND_URL.exec(content);
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

function decodeEntities(text: string): string {
  return text.replace(/&amp;/gi, '&').replace(/&quot;/gi, '"').replace(/&#39;|&apos;/gi, "'").replace(/&#x3d;|&#61;/gi, '=');
}

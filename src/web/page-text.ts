/**
 * A web page as text for the model: HTML's main content found by Mozilla's Readability
 * (the reader view's engine, over linkedom's DOM) and written as Markdown by turndown,
 * so headings, lists, links and code survive; the whole body when the page is not an
 * article. Plain text, JSON and the like as they are. The libraries load on first use.
 */
import { CairnError } from '../core/errors.js';

export interface PageText {
  title: string | undefined;
  text: string;
}

const TEXT_TYPES = /^(text\/(?!html)|application\/(json|ld\+json|xml|rss\+xml|atom\+xml|javascript|x-yaml|yaml|toml|csv)\b)/i;

/** Types that say nothing of the content: storage services (S3, GCS, raw files) serve PDFs as these. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/x-download', 'application/force-download']);

/** What kind of page a Content-Type is (its bytes tell an untyped PDF); undefined for one web_fetch does not read as text. */
export function pageKind(contentType: string, url: string, bytes?: Uint8Array): 'html' | 'text' | 'pdf' | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  const pdfBytes = bytes !== undefined && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
  if (type === 'application/pdf' || type === 'application/x-pdf' || (UNTYPED.has(type) && (pdfBytes || /\.pdf$/i.test(new URL(url).pathname)))) return 'pdf';
  if (TEXT_TYPES.test(type) || type === '') return 'text';
  return undefined;
}

export async function htmlText(bytes: Uint8Array, contentType: string, url: string): Promise<PageText> {
  const html = decode(bytes, contentType, true);
  const [{ parseHTML }, { Readability }, { default: TurndownService }] = await Promise.all([import('linkedom'), import('@mozilla/readability'), import('turndown')]);
  const { document } = parseHTML(html);
  const title = document.querySelector('title')?.textContent?.trim() || undefined;
  const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  // Links relative to the page would mean nothing to the model: make them absolute.
  turndown.addRule('absoluteLinks', {
    filter: (node) => node.nodeName === 'A' && Boolean(node.getAttribute('href')),
    replacement: (content, node) => {
      const href = absolute((node as { getAttribute(name: string): string | null }).getAttribute('href') ?? '', url);
      return href && content.trim() ? `[${content.trim()}](${href})` : content;
    },
  });
  // Not forms: some sites (ASP.NET's) wrap the whole page in one.
  turndown.remove(['script', 'style', 'noscript', 'iframe', 'svg']);
  // Readability takes the document apart; it gets its own copy.
  const article = new Readability(parseHTML(html).document, { charThreshold: 200 }).parse();
  if (article?.content && (article.textContent ?? '').trim().length >= 200) {
    return { title: article.title?.trim() || title, text: tidy(turndown.turndown(article.content)) };
  }
  for (const element of [...document.querySelectorAll('nav, header, footer, aside')]) element.remove();
  return { title, text: tidy(turndown.turndown(document.body?.innerHTML ?? html)) };
}

export function plainText(bytes: Uint8Array, contentType: string): PageText {
  const text = decode(bytes, contentType, false);
  if (text.includes('\0')) throw new CairnError('invalid_input', 'The page is binary data, not text.');
  return { title: undefined, text: text.trim() };
}

/** Decodes with the charset the header (or, for HTML, a meta tag) names; UTF-8 otherwise. */
function decode(bytes: Uint8Array, contentType: string, isHtml: boolean): string {
  let charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1];
  if (!charset && isHtml) charset = /<meta[^>]+charset=["']?([\w-]+)/i.exec(Buffer.from(bytes.subarray(0, 2048)).toString('latin1'))?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function absolute(href: string, base: string): string | undefined {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** At most one blank line in a row, no trailing spaces. */
function tidy(markdown: string): string {
  return markdown
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

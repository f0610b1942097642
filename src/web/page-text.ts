/**
 * A web page as text for the model: HTML's main content found by Mozilla's Readability
 * (the reader view's engine, over linkedom's DOM) and written as Markdown by turndown,
 * so headings, lists, links and code survive; the whole body when the page is not an
 * article. Plain text, JSON and the like as they are. The libraries load on first use.
 */
import { CairnError } from '../core/errors.js';
import { decodeCharset } from '../core/charset.js';
import { decodeText } from '../core/text-decoding.js';

export interface PageText {
  title: string | undefined;
  text: string;
  /** An HTML page that runs scripts (not JSON or other data in a script tag): one whose text they write shows little without them. */
  runsScripts?: boolean;
}

/** A script tag's types that a browser runs; others (application/json, ld+json, templates) hold data. */
const RUN_TYPES = /^(|module|(text|application)\/(x-)?(java|ecma)script)$/i;

/** Text by its type: text/*, and JSON or XML under any name (`application/vnd.api+json`, `application/geo+json`). */
const TEXT_TYPES = /^(text\/(?!html)|application\/(json|xml|javascript|x-javascript|x-ndjson|ndjson|x-yaml|yaml|toml|csv)\b|application\/[\w.-]+\+(json|xml)\b)/i;

/** Types that say nothing of the content: storage services (S3, GCS, raw files) serve PDFs as these. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/x-download', 'application/force-download']);

/** What kind of page a Content-Type is (its bytes tell an untyped PDF); undefined for one web_fetch does not read as text. */
export function pageKind(contentType: string, url: string, bytes?: Uint8Array): 'html' | 'text' | 'pdf' | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  const pdfBytes = bytes !== undefined && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
  if (type === 'application/pdf' || type === 'application/x-pdf' || (UNTYPED.has(type) && (pdfBytes || /\.pdf$/i.test(new URL(url).pathname)))) return 'pdf';
  // Served without a type that says (minimal servers, storage buckets): an HTML document says so in its first bytes, as browsers look.
  if (UNTYPED.has(type) && bytes !== undefined && looksLikeHtml(bytes)) return 'html';
  if (TEXT_TYPES.test(type) || type === '') return 'text';
  // A text or JSON file a storage bucket serves untyped, or a text file under an application/ type that names
  // no text (Apache's and Debian's mime.types: application/x-sh for install scripts, application/sql): its bytes say it is text.
  if ((UNTYPED.has(type) || type.startsWith('application/')) && bytes !== undefined && looksLikeText(bytes)) return 'text';
  return undefined;
}

/** UTF-8 without NUL bytes in its first 8 KB (a multi-byte character cut at the end is fine). */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8_192);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  const start = new TextDecoder(bomEncoding(bytes) ?? 'utf-8').decode(bytes.subarray(0, 1024)).trimStart().slice(0, 64).toLowerCase();
  return start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<head');
}

/** An HTML page's markup as text, in the charset a browser would read it in (meta-refresh.ts reads its head so). */
export function htmlSource(bytes: Uint8Array, contentType: string): string {
  return decode(bytes, contentType, true);
}

export async function htmlText(bytes: Uint8Array, contentType: string, url: string): Promise<PageText> {
  const [{ parseHTML }, { Readability }, { default: TurndownService }] = await Promise.all([import('linkedom'), import('@mozilla/readability'), import('turndown')]);
  const source = htmlSource(bytes, contentType);
  const parsed = parseHTML(source).document;
  // Not one element (JSON a PHP script serves as text/html, an empty answer): the text is the page.
  if (!parsed.documentElement) return { title: undefined, text: topLevelText(parsed) };
  const html = withDocumentStructure(source, parsed);
  const document = html === source ? parsed : parseHTML(html).document;
  const title = document.querySelector('title')?.textContent?.trim() || undefined;
  const runsScripts = [...document.querySelectorAll('script')].some((script) => RUN_TYPES.test((script.getAttribute('type') ?? '').split(';')[0]?.trim() ?? ''));
  // Relative links are relative to the page's <base href> where it has one (single-page apps), as a browser follows them.
  const base = absolute(document.querySelector('base[href]')?.getAttribute('href') ?? '', url) || url;
  const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  // Links relative to the page would mean nothing to the model: make them absolute.
  turndown.addRule('absoluteLinks', {
    filter: (node) => node.nodeName === 'A' && Boolean(node.getAttribute('href')),
    replacement: (content, node) => {
      const href = absolute((node as { getAttribute(name: string): string | null }).getAttribute('href') ?? '', base);
      return href && content.trim() ? `[${content.trim()}](${href})` : content;
    },
  });
  turndown.addRule('absoluteImages', {
    filter: (node) => node.nodeName === 'IMG' && Boolean(node.getAttribute('src')),
    replacement: (_content, node) => {
      const element = node as { getAttribute(name: string): string | null };
      const src = absolute(element.getAttribute('src') ?? '', base);
      return src ? `![${(element.getAttribute('alt') ?? '').trim()}](${src})` : '';
    },
  });
  // Tables as Markdown tables, a row to a line: cell after cell in paragraphs of their own lost which value was whose.
  // A table that lays the page out is no data: its cells are read as blocks of their own (see isLayoutTable).
  const layout = new WeakMap<object, boolean>();
  const inLayoutTable = (node: unknown) => {
    const table = enclosingTable(node as MarkupNode);
    if (!table) return false;
    let known = layout.get(table);
    if (known === undefined) layout.set(table, (known = isLayoutTable(table)));
    return known;
  };
  turndown.addRule('tableCells', {
    filter: ['th', 'td'],
    replacement: (content, node) => (inLayoutTable(node) ? `\n\n${content.trim()}\n\n` : ` ${content.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')} |`),
  });
  turndown.addRule('tableRows', {
    filter: 'tr',
    replacement: (content, node) => {
      if (inLayoutTable(node)) return `\n\n${content}\n\n`;
      const row = node as unknown as { querySelectorAll(selector: string): { length: number }; previousElementSibling: unknown; parentNode: { nodeName: string; previousElementSibling: unknown } | null };
      const cells = row.querySelectorAll('th, td').length;
      const first = !row.previousElementSibling && !(row.parentNode?.nodeName === 'TBODY' && row.parentNode.previousElementSibling);
      return `\n|${content}${first && cells > 0 ? `\n|${' --- |'.repeat(cells)}` : ''}`;
    },
  });
  // Highlighted code (Sphinx, GitHub, Pygments) is a <pre> of <span>s with no <code>: as a fence, character for character, not escaped prose.
  turndown.addRule('preformatted', { filter: 'pre', replacement: (_content, node) => fencedCode(node as unknown as MarkupNode) });
  turndown.addRule('tableSections', { filter: ['thead', 'tbody', 'tfoot'], replacement: (content) => content });
  turndown.addRule('tables', { filter: 'table', replacement: (content) => `\n\n${content.trim()}\n\n` });
  // Not forms: some sites (ASP.NET's) wrap the whole page in one.
  turndown.remove(['script', 'style', 'noscript', 'iframe', 'svg']);
  // Readability takes the document apart; it gets its own copy. Its classes stay: they name a code block's language.
  const article = new Readability(parseHTML(html).document, { charThreshold: 200, keepClasses: true }).parse();
  if (article?.content && (article.textContent ?? '').trim().length >= 200) {
    return { title: article.title?.trim() || title, text: tidy(turndown.turndown(article.content)), ...(runsScripts ? { runsScripts } : {}) };
  }
  for (const element of [...document.querySelectorAll('nav, header, footer, aside')]) element.remove();
  return { title, text: tidy(turndown.turndown(document.body?.innerHTML ?? html)), ...(runsScripts ? { runsScripts } : {}) };
}

/** The parts of a DOM tree the functions below read (linkedom's nodes; turndown's are typed as the browser's). */
interface MarkupNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<MarkupNode>;
  parentNode: MarkupNode | null;
  getAttribute?(name: string): string | null;
  querySelector?(selector: string): MarkupNode | null;
  querySelectorAll?(selector: string): ArrayLike<MarkupNode>;
  toString(): string;
}

interface ParsedDocument {
  documentElement: MarkupNode | null;
  childNodes: ArrayLike<MarkupNode>;
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const DOCUMENT_TYPE_NODE = 10;

/** Elements that open a page's head when its <head> tag is left out (HTML's "in head" insertion mode). */
const HEAD_ELEMENTS = new Set(['META', 'TITLE', 'LINK', 'BASE', 'STYLE', 'SCRIPT', 'NOSCRIPT', 'TEMPLATE']);

/**
 * The page with its <html>, <head> and <body> written out. HTML lets a page leave those tags out
 * (minifiers' removeOptionalTags, hand-written pages) and a browser adds them; linkedom does not:
 * the first element becomes the root and the body is empty or missing, which Readability cannot read.
 */
function withDocumentStructure(html: string, document: ParsedDocument): string {
  const root = document.documentElement;
  const isHtmlRoot = root?.nodeName === 'HTML';
  const top = Array.from(isHtmlRoot ? (root?.childNodes ?? []) : document.childNodes).filter((node) => node.nodeType !== DOCUMENT_TYPE_NODE);
  if (isHtmlRoot && top.some((node) => node.nodeName === 'BODY')) return html;
  const head: string[] = [];
  const body: string[] = [];
  for (const node of top) {
    if (node.nodeName === 'HEAD') head.push(innerMarkup(node));
    else if (body.length === 0 && (HEAD_ELEMENTS.has(node.nodeName) || (node.nodeType !== ELEMENT_NODE && (node.textContent ?? '').trim() === ''))) head.push(node.toString());
    else body.push(node.nodeName === 'BODY' ? innerMarkup(node) : node.toString());
  }
  const lang = isHtmlRoot ? root?.getAttribute?.('lang') : undefined;
  return `<!DOCTYPE html><html${lang ? ` lang="${lang.replace(/"/g, '&quot;')}"` : ''}><head>${head.join('')}</head><body>${body.join('')}</body></html>`;
}

function innerMarkup(node: MarkupNode): string {
  return Array.from(node.childNodes)
    .map((child) => child.toString())
    .join('');
}

/** The text of a document with no element in it: its top-level text, without comments. */
function topLevelText(document: ParsedDocument): string {
  return Array.from(document.childNodes)
    .filter((node) => node.nodeType === TEXT_NODE)
    .map((node) => node.textContent ?? '')
    .join('')
    .trim();
}

/** The table a cell or row is in: the nearest one around it. */
function enclosingTable(node: MarkupNode): MarkupNode | undefined {
  for (let parent = node.parentNode; parent; parent = parent.parentNode) if (parent.nodeName === 'TABLE') return parent;
  return undefined;
}

/**
 * Whether a table lays the page out rather than holds data (as Readability's own test tells them): it holds
 * another table (Hacker News' front page, old forums, newsletters), says so (role="presentation"), or has one
 * column. As a Markdown table, the tables inside went into one cell, the whole list on one line.
 */
function isLayoutTable(table: MarkupNode): boolean {
  const role = table.getAttribute?.('role')?.trim().toLowerCase();
  if (role === 'presentation' || role === 'none' || table.querySelector?.('table')) return true;
  const rows = Array.from(table.querySelectorAll?.('tr') ?? []);
  return rows.every((row) => (row.querySelectorAll?.('th, td').length ?? 0) <= 1);
}

/** A <pre> as a Markdown code fence: its text as it is (line breaks from <br> too), the language its classes name. */
function fencedCode(pre: MarkupNode): string {
  const code = preText(pre).replace(/^\n/, '').replace(/\n$/, '');
  const longestRun = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `\n\n${fence}${codeLanguage(pre)}\n${code}\n${fence}\n\n`;
}

function preText(node: MarkupNode): string {
  if (node.nodeType === TEXT_NODE) return node.textContent ?? '';
  if (node.nodeName === 'BR') return '\n';
  return Array.from(node.childNodes).map(preText).join('');
}

/** `language-x`/`lang-x` on the <pre> or its <code> (Prism, highlight.js, turndown's own rule), `highlight-x` around it (Sphinx, GitHub). */
function codeLanguage(pre: MarkupNode): string {
  const code = Array.from(pre.childNodes).find((child) => child.nodeName === 'CODE');
  for (const node of [code, pre]) {
    const named = /(?:^|\s)(?:language|lang)-([\w+#.-]+)/.exec(node?.getAttribute?.('class') ?? '')?.[1];
    if (named) return named;
  }
  // Sphinx puts highlight-python3 two levels up (div.highlight-python3 > div.highlight > pre); GitHub highlight-source-js one up.
  for (let node: MarkupNode | null = pre, level = 0; node && level < 3; node = node.parentNode, level++) {
    const named = /(?:^|\s)highlight-(?:source-)?([\w+#.-]+)/.exec(node.getAttribute?.('class') ?? '')?.[1];
    if (named) return UNNAMED_LANGUAGES.has(named) ? '' : named;
  }
  return '';
}

/** Sphinx's classes for a block with no language to name. */
const UNNAMED_LANGUAGES = new Set(['default', 'none', 'text']);

export function plainText(bytes: Uint8Array, contentType: string): PageText {
  const text = decode(bytes, contentType, false);
  if (text.includes('\0')) throw new CairnError('invalid_input', 'The page is binary data, not text.');
  return { title: undefined, text: text.trim() };
}

/**
 * Decodes as browsers do: a byte-order mark decides first, then the charset the header names,
 * then, for HTML, a meta tag anywhere in the head (some come after long inline scripts), and for
 * XML its declaration; with none, UTF-8 when the bytes are, else the legacy code page they read as.
 */
function decode(bytes: Uint8Array, contentType: string, isHtml: boolean): string {
  const head = () => Buffer.from(bytes.subarray(0, HEAD_BYTES)).toString('latin1');
  const declared = () => (isHtml ? /<meta[^>]+charset=["']?([\w-]+)/i.exec(head().split(/<\/head>/i)[0] ?? head())?.[1] : /^\s*<\?xml[^>]+encoding=["']([\w-]+)/i.exec(head())?.[1]);
  // A header charset no decoder knows (`none`, a typo) says nothing: the page's own declaration is read then, as browsers do.
  for (const charset of [bomEncoding(bytes), /charset=["']?([\w-]+)/i.exec(contentType)?.[1], declared()]) {
    if (!charset) continue;
    try {
      return decodeCharset(bytes, charset);
    } catch {
      // Not a charset this decoder knows: try the next source.
    }
  }
  // Named nowhere (Apache sends text/plain without a charset; old pages have no meta): a browser guesses from the
  // bytes, so a Windows-1252 or Shift_JIS page is read in it (text-decoding.ts), not as UTF-8 with U+FFFD for each accent.
  if (isUtf8(bytes)) return new TextDecoder('utf-8').decode(bytes);
  try {
    return decodeText(bytes).text;
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Valid UTF-8, but for a character cut off at the end (a page cut at the size limit): that alone makes no other encoding. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** How far into a page its head (with a meta charset) is looked for. */
const HEAD_BYTES = 64 * 1024;

/** The encoding a byte-order mark names, if the bytes start with one. */
function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
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

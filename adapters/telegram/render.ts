/**
 * Markdown (what models write) → Telegram HTML (parse_mode HTML): code blocks,
 * inline code, bold, italic, strikethrough, links and headings; everything else is
 * escaped text. Telegram's HTML accepts only a few tags and needs &, < and >
 * escaped, so escaping comes first and tags are added around escaped text.
 */
import { splitMessage } from '../../src/core/split.js';

export const MESSAGE_LIMIT = 4096;
/** Markdown is split below the limit: rendering adds tags and entities. */
export const MARKDOWN_PART = 3_500;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface RenderedPart {
  html: string;
  plain: string;
}

/** Splits a reply into parts, each rendered as HTML (within the limit) with its plain fallback. */
export function renderParts(markdown: string): RenderedPart[] {
  return splitMessage(markdown, MARKDOWN_PART).flatMap((part) => {
    const html = markdownToHtml(part);
    if (visibleLength(html) <= MESSAGE_LIMIT) return [{ html, plain: part }];
    // Rare: heavy markup grew past the limit. Send this part as plain text, split again.
    return splitMessage(part, MESSAGE_LIMIT).map((plain) => ({ html: escapeHtml(plain), plain }));
  });
}

/** Whether the part shows anything: Telegram refuses a text that is empty once its HTML is parsed (an empty code block). */
export function showsText(part: RenderedPart): boolean {
  return part.html.replace(/<[^>]*>/g, '').trim() !== '';
}

/**
 * The length Telegram holds against its limit: the text once the HTML is parsed. Counting the
 * source, a code block full of `<` (each `&lt;`) looked too long and went out as raw Markdown.
 */
function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot);/g, '_').length;
}

export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // Any word after the fence names the language (c#, objective-c, shell-session).
    // Words after the language (title="install.sh") are the fence's too.
    const fence = /^\s*(```+|~~~+)\s*([^\s`]*)[^`]*$/.exec(line);
    if (fence) {
      const marker = fence[1] as string;
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).trim().startsWith(marker); i++) body.push(lines[i] as string);
      const language = fence[2] ? ` class="language-${attribute(fence[2])}"` : '';
      out.push(`<pre><code${language}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    out.push(heading ? `<b>${inline(heading[1] as string)}</b>` : inline(line));
  }
  return out.join('\n');
}

/** Inline Markdown of one line; code spans and links are protected from the other rules. */
function inline(line: string): string {
  const parked: string[] = [];
  // Finished HTML is parked behind a private-use character no model writes, then put back, so
  // no later rule reaches into it (an underscore in a URL is no italic).
  const park = (html: string) => `\uE000${parked.push(html) - 1}\uE000`;
  let text = line.replace(/`([^`\n]+)`/g, (_m, code: string) => park(`<code>${escapeHtml(code)}</code>`));
  const unpark = (html: string) => html.replace(/\uE000(\d+)\uE000/g, (_m, index: string) => parked[Number(index)] ?? '');
  // Bare URLs, which Telegram links by itself, are parked as they are: emphasis read into one
  // (`src/__init__.py` as bold "init") took its underscores away, and the link went elsewhere.
  const bareUrls = (html: string) => html.replace(BARE_URL, (url) => park(url));
  // A label's code (`[`fetch`](url)`) is parked already: it is put back into the link before the
  // link is parked in turn, or the one pass at the end would leave it a placeholder.
  text = emphasis(
    bareUrls(
      escapeHtml(text).replace(/\[([^\]\n]+)\]\((https?:\/\/(?:[^\s()]|\([^\s()]*\))+)\)/g, (_m, label: string, url: string) => park(`<a href="${url.replace(/"/g, '&quot;')}">${unpark(emphasis(bareUrls(label)))}</a>`)),
    ),
  );
  return unpark(text);
}

/**
 * A URL in the text, up to the punctuation, `*` and `~` after it (the sentence's, as in
 * `**see https://example.com**` or `(https://example.com).`); never into a parked piece. A
 * trailing `_` is the URL's (`#object.__init__`).
 */
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s\uE000]*[^\s\uE000*~.,:;!?'"()]/g;

/**
 * Bold, italic and strikethrough of escaped text (a line, or a link's label). Where the model's
 * markers cross (`***a** b*`, `**a _b** c_`) the tags would not nest, and Telegram refuses the
 * whole message for them, which then went out as plain text: such text keeps its markers as
 * written, and the rest of the reply its formatting.
 */
function emphasis(text: string): string {
  const html = markEmphasis(text);
  return nests(html) ? html : text;
}

/** As in Markdown, emphasis starts and ends next to a word: a `*` with a space after it is a product or a glob (`2 * 3`, `*.log`). */
function markEmphasis(text: string): string {
  return text
    .replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, '<b><i>$1</i></b>')
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '<b>$1</b>')
    .replace(/__([^_\n]+)__/g, '<b>$1</b>')
    .replace(/~~([^~\n]+)~~/g, '<s>$1</s>')
    .replace(/(^|[^\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, '$1<i>$2</i>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<i>$2</i>');
}

/** Whether each tag closes the one opened last (the text was escaped before its tags were added). */
function nests(html: string): boolean {
  const open: string[] = [];
  for (const [, closing, name] of html.matchAll(/<(\/?)([a-z]+)>/g)) {
    if (!closing) open.push(name as string);
    else if (open.pop() !== name) return false;
  }
  return open.length === 0;
}

/** Escaped text inside a double-quoted attribute. */
function attribute(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

/**
 * Markdown (what models write) → Slack mrkdwn, split into messages and section blocks,
 * plus the plain-text fallback used when Slack rejects the blocks.
 *
 * Slack treats `&`, `<` and `>` as control characters everywhere, so model text is
 * always escaped: a reply can never ping `<!channel>` or forge a link.
 */
import { splitMessage } from '../../src/core/split.js';
import { headOf, withoutFenceRuns } from '../../src/core/text.js';
import type { ReplyButton } from '../../src/core/message.js';

/** Slack truncates message text past 40,000 characters. */
export const MESSAGE_LIMIT = 40_000;
/**
 * Slack refuses a message whose blocks hold more than about 12,000 characters together
 * (`msg_blocks_too_long`; undocumented, bolt-js#2509), so formatted messages stay under it
 * with room for what the blocks' containers count.
 */
export const BLOCKS_LIMIT = 11_000;
/** A section block's text holds at most 3,000 characters. */
export const SECTION_LIMIT = 3_000;
/** The notification preview (`text` beside blocks) is kept short; the blocks carry the reply. */
const PREVIEW_LIMIT = 300;
/** A fallback after `msg_too_long` uses parts well under the limit. */
export const SAFE_PLAIN_LIMIT = 4_000;

export interface SectionBlock {
  type: 'section';
  text: { type: 'mrkdwn'; text: string };
}

/** Buttons under a message; each holds its command as its value. */
export interface ActionsBlock {
  type: 'actions';
  elements: { type: 'button'; action_id: string; text: { type: 'plain_text'; text: string }; value: string }[];
}

/** One Slack message: mrkdwn in section blocks, with a plain preview for notifications. */
export interface RenderedMessage {
  text: string;
  blocks: SectionBlock[];
  /** The same part as plain text, for the fallback. */
  plain: string;
}

/**
 * Splits a Markdown reply into Slack messages (code blocks stay intact in each) and
 * renders each one into section blocks. Escaping and the fences that reopen in each
 * section add characters, so when a rendered message would pass the limit the whole
 * reply is split again at a smaller size (parts stay even; no tiny leftovers).
 */
export function renderMessages(markdown: string, limit = BLOCKS_LIMIT): RenderedMessage[] {
  let sourceLimit = limit;
  for (;;) {
    const rendered = splitMessage(markdown, sourceLimit).map((part) => ({ part, sections: splitEscaped(toMrkdwn(part), SECTION_LIMIT) }));
    const longest = Math.max(...rendered.map(({ sections }) => shownLength(sections)));
    if (longest <= limit || sourceLimit <= MIN_SOURCE_LIMIT) {
      return rendered.map(({ part, sections }) => {
        const plain = toPlainText(part);
        return { text: preview(plain), blocks: sections.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })), plain };
      });
    }
    sourceLimit = Math.max(MIN_SOURCE_LIMIT, Math.floor((sourceLimit * limit) / longest) - 200);
  }
}

const MIN_SOURCE_LIMIT = 1_000;

/** Slack shows sections one under the other. */
function shownLength(sections: string[]): number {
  return sections.reduce((sum, section) => sum + section.length + 1, -1);
}

/** Plain text for Slack: Markdown markers dropped where they would show as noise, control characters escaped. */
export function toPlainText(markdown: string): string {
  return escapeSlack(
    markdown
      .replace(/\*\*(.+?)\*\*/g, '$1')
      .replace(/__(.+?)__/g, '$1')
      .replace(/~~(.+?)~~/g, '$1')
      // A label holds no `[`: from each `[` of a long `[[[…` a try read to its end.
      .replace(/!?\[([^\][]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g, '$1 ($2)')
      .replace(/^#{1,6}\s+/gm, ''),
  );
}

/** Splits plain text into parts Slack accepts (the fallback path). */
export function plainParts(plain: string, limit: number): string[] {
  return splitEscaped(plain, limit);
}

/** The escapes of Slack's control characters, and a private-use character standing in for each while text is split. */
const ESCAPES: Record<string, string> = { '&amp;': '\uE003', '&lt;': '\uE004', '&gt;': '\uE005' };
const STAND_INS = Object.fromEntries(Object.entries(ESCAPES).map(([escape, standIn]) => [standIn, escape]));

/**
 * Escaped text split into parts of at most `limit` characters, none cut inside an escape: a
 * hard cut through a long line (minified HTML, a URL's query) would leave `&am` at the end of
 * one part and `p;` at the start of the next, which Slack shows as typed. Each escape counts
 * as one character while splitting; where the parts come out too long with their escapes, the
 * text is split again smaller.
 */
function splitEscaped(text: string, limit: number): string[] {
  const packed = text.replace(/&(?:amp|lt|gt);/g, (escape) => ESCAPES[escape] ?? escape);
  for (let size = limit; ; ) {
    const parts = splitMessage(packed, size).map((part) => part.replace(/[\uE003-\uE005]/g, (standIn) => STAND_INS[standIn] ?? standIn));
    const longest = Math.max(...parts.map((part) => part.length));
    // An escape is at most five characters for one, so a fifth of the limit always fits.
    if (longest <= limit || size <= limit / 5) return parts;
    size = Math.max(Math.floor(limit / 5), Math.min(size - 1, Math.floor((size * limit) / longest)));
  }
}

export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function preview(plain: string): string {
  const oneLine = plain.replace(/\s+/g, ' ').trim();
  // Cut before an entity (`&amp;`) rather than through it.
  return oneLine.length <= PREVIEW_LIMIT ? oneLine : `${headOf(oneLine, PREVIEW_LIMIT - 1).replace(/&[a-z]*$/, '')}…`;
}

/** An opening fence; a backtick after it makes the line inline code (```npm install```), as in Markdown. */
const FENCE = /^\s*(```+(?!.*`)|~~~+)/;

/** Markdown → mrkdwn. Fenced code is kept verbatim (escaped; Slack shows no language tag). */
export function toMrkdwn(markdown: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = FENCE.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      out.push('```');
    } else if (fence !== undefined && isClosingFence(line, fence)) {
      fence = undefined;
      out.push('```');
    } else if (fence !== undefined) {
      // Slack ends a block at the first ``` in it, which a longer Markdown fence shows as typed.
      out.push(withoutFenceRuns(escapeSlack(line)));
    } else {
      out.push(renderLine(line));
    }
  }
  if (fence !== undefined) out.push('```');
  return out.join('\n');
}

/** A bare fence of the opening character, at least as long as the opening one. */
function isClosingFence(line: string, opening: string): boolean {
  const bare = line.trim();
  return /^(`{3,}|~{3,})$/.test(bare) && bare[0] === opening[0] && bare.length >= opening.length;
}

/** One line outside code blocks: block syntax first, then inline spans. */
function renderLine(line: string): string {
  // A closing run of #s counts only after a space (CommonMark): "C#" keeps its #.
  const heading = /^#{1,6}\s+(.+?)(?:\s+#+)?\s*$/.exec(line);
  if (heading) return `*${renderInline(stripEmphasis(heading[1] ?? ''))}*`;
  if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) return '──────────';
  const quote = /^(\s*)>\s?(.*)$/.exec(line);
  // A quote marker stays a literal `>`: Slack reads it as a block quote.
  if (quote) return `${quote[1] ?? ''}> ${renderInline(quote[2] ?? '')}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1] ?? ''}• ${renderInline(bullet[2] ?? '')}`;
  return renderInline(line);
}

// Private-use characters stand in for markers while other syntax is rewritten.
const BOLD = '\uE000';
const CODE_OPEN = '\uE001';
const CODE_CLOSE = '\uE002';

const PARKED = new RegExp(`${CODE_OPEN}(L?)(\\d+)${CODE_CLOSE}`, 'g');

/** Inline spans: code is protected first, then links, then emphasis. */
function renderInline(text: string): string {
  const codes: string[] = [];
  const links: string[] = [];
  const unpark = (mrkdwn: string) => mrkdwn.replace(PARKED, (_match, kind: string, index: string) => (kind === 'L' ? (links[Number(index)] ?? '') : `\`${codes[Number(index)] ?? ''}\``));
  let result = text.replace(/`([^`\n]+)`/g, (_match, code: string) => {
    codes.push(escapeSlack(code));
    return `${CODE_OPEN}${codes.length - 1}${CODE_CLOSE}`;
  });
  // A URL may hold parentheses, one level deep (Wikipedia's Mercury_(planet)). The label is
  // rendered as it goes in: its emphasis as mrkdwn, its code put back (`[`fetch`](url)`); a `|`
  // in it would end the label early.
  result = result.replace(/!?\[([^\][]+)\]\((https?:\/\/(?:[^()\s]|\([^()\s]*\))+|mailto:[^)\s]+)\)/g, (_match, label: string, url: string) => {
    links.push(`<${escapeLinkUrl(url)}|${unpark(emphasis(escapeSlack(label))).replace(/\|/g, '/')}>`);
    return `${CODE_OPEN}L${links.length - 1}${CODE_CLOSE}`;
  });
  result = result.replace(/<(https?:\/\/[^>\s]+)>/g, (_match, url: string) => {
    links.push(`<${escapeLinkUrl(url)}>`);
    return `${CODE_OPEN}L${links.length - 1}${CODE_CLOSE}`;
  });
  // A bare URL (Slack links it by itself) keeps its characters: `__init__` in a path is no emphasis.
  result = result.replace(BARE_URL, (_match, before: string, found: string) => {
    const url = trimUrl(found, before === '_');
    links.push(escapeSlack(url));
    return `${before}${CODE_OPEN}L${links.length - 1}${CODE_CLOSE}${found.slice(url.length)}`;
  });
  return unpark(emphasis(escapeSlack(result)));
}

/** GFM's extended autolink: after the start, a space or `*_~(`, up to a space or `<`. */
const BARE_URL = /(^|[\s*_~(])(https?:\/\/[^\s<]+)/g;

/**
 * GFM's trailing-punctuation rule: `?!.,:*~` and quotes at the end are not the URL's, nor a `)`
 * with no `(` in it to close. A `_` is, unless one opened before the URL: `object.__init__` ends in it.
 */
function trimUrl(url: string, inUnderscores: boolean): string {
  const trailing = inUnderscores ? /[?!.,:;*_~'"]/ : /[?!.,:;*~'"]/;
  let end = url.length;
  for (;;) {
    const last = url[end - 1] ?? '';
    const kept = url.slice(0, end);
    if (trailing.test(last)) end -= 1;
    else if (last === ')' && (kept.match(/\)/g)?.length ?? 0) > (kept.match(/\(/g)?.length ?? 0)) end -= 1;
    else return kept;
  }
}

/** Markdown's bold, italic and strikethrough in escaped text, as mrkdwn's. */
function emphasis(text: string): string {
  return text
    .replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)(.+?)(?<=\S)__/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, '$1_$2_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replaceAll(BOLD, '*');
}

function stripEmphasis(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, '$1').replace(/__(.+?)__/g, '$1');
}

/** Inside `<url|label>`, a `>` or `|` in the URL would end the link early. */
function escapeLinkUrl(url: string): string {
  return url.replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C');
}

/** The prefix of the action ids of Cairn's buttons, which the adapter listens for. */
export const BUTTON_ACTION = 'cairn_button';

/** A message as it is sent: its text, perhaps with buttons under it. */
export interface OutgoingMessage extends Omit<RenderedMessage, 'blocks'> {
  blocks: (SectionBlock | ActionsBlock)[];
}

/** The message with buttons under it (a button's value holds at most 2,000 characters). */
export function withButtons(message: RenderedMessage, buttons: readonly ReplyButton[]): OutgoingMessage {
  const elements = buttons
    .filter((button) => button.command.length <= 2_000)
    .map((button, index) => ({ type: 'button' as const, action_id: `${BUTTON_ACTION}_${index}`, text: { type: 'plain_text' as const, text: button.label }, value: button.command }));
  return elements.length > 0 ? { ...message, blocks: [...message.blocks, { type: 'actions', elements }] } : message;
}

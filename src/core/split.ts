/**
 * Splits a reply into messages no longer than a platform's limit. Prefers paragraph,
 * then line, then word boundaries; a fenced code block cut in two is closed at the
 * end of one part and reopened (same language) at the start of the next, so each
 * part renders on its own. A part that begins inside a right-to-left line (Arabic, Hebrew, Persian) with a
 * left-to-right word ("… Cairn …") begins with a right-to-left mark: clients lay each message out by its first
 * letter, and that part came out left to right, its sentence in pieces (and the other way round: an English
 * line cut before a quoted Arabic word, with a left-to-right mark). Other parts are not touched.
 */
import { isHighSurrogate } from './text.js';

/** A backtick after the marker makes the line inline code (```npm install```), not a fence. */
const FENCE = /^(\s*)(```+(?!.*`)|~~~+)(.*)$/;

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 32) throw new RangeError('limit too small to split messages sensibly');
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let rest = text;
  let reopen = '';
  const lines = new LineDirections(text);
  while (rest.length > 0) {
    // What the part starts with: the fence it reopens, else a right-to-left mark where it starts inside such a line.
    const lead = reopen || lines.markAt(text.length - rest.length, limit);
    const budget = limit - lead.length;
    let chunk = rest.length <= budget ? rest : rest.slice(0, cutIndex(rest, budget - 8));
    const open = openFence(lead + chunk);
    if (open && chunk.length < rest.length) {
      // Leave room to close the fence inside the limit.
      const closing = `\n${open.marker}`;
      if ((lead + chunk).length + closing.length > limit) chunk = chunk.slice(0, cutIndex(chunk, limit - lead.length - closing.length));
      parts.push(lead + chunk.replace(/\s+$/, '') + closing);
      reopen = `${open.marker}${open.info}\n`;
    } else {
      parts.push((lead + chunk).replace(/\s+$/, ''));
      reopen = '';
    }
    lines.passed(text.length - rest.length, chunk);
    rest = rest.slice(chunk.length).replace(/^\n+/, '');
  }
  return parts.filter((part) => part.trim().length > 0);
}

/** U+200F RIGHT-TO-LEFT MARK and U+200E LEFT-TO-RIGHT MARK: strong characters of a direction that show nothing. */
const RLM = '\u200F';
const LRM = '\u200E';
/** The first letter (or direction mark) ahead, or the end of the line: the bidi algorithm's first strong character, in practice. */
const STRONG = /[\p{L}\u200E\u200F\u061C]|\n/gu;
/** Letters of the scripts written right to left, and the right-to-left and Arabic letter marks. */
const RIGHT_TO_LEFT = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Yezidi}\u200F\u061C]/u;

/**
 * The direction of the line a part starts in (Unicode's rule: a paragraph's first strong character sets it;
 * a line break starts a paragraph), found once a line. The line's start moves as parts pass it, so a text of
 * one long line is read once, not once a part.
 */
class LineDirections {
  private lineStart = 0;
  private lineRtl: boolean | undefined;

  constructor(private readonly text: string) {}

  /** The mark of the line's direction where a part starting at `at` starts inside it with a letter of the other direction; '' elsewhere. */
  markAt(at: number, limit: number): string {
    if (at === 0 || this.text[at - 1] === '\n') {
      // A line of its own (the break may have been left between two parts): it is laid out by its own letters.
      this.lineStart = at;
      this.lineRtl = undefined;
      return '';
    }
    // Only the part's own stretch is read: past it, it has no letter to lay out.
    const part = firstStrong(this.text.slice(at, at + limit));
    if (part === undefined) return '';
    this.lineRtl ??= firstStrong(this.text.slice(this.lineStart)) === 'rtl';
    if (this.lineRtl) return part === 'ltr' ? RLM : '';
    return part === 'rtl' ? LRM : '';
  }

  /** The part that started at `at` took `chunk`: a line break in it starts the next line after it. */
  passed(at: number, chunk: string): void {
    const newline = chunk.lastIndexOf('\n');
    if (newline < 0) return;
    this.lineStart = at + newline + 1;
    this.lineRtl = undefined;
  }
}

function firstStrong(text: string): 'rtl' | 'ltr' | undefined {
  STRONG.lastIndex = 0;
  const found = STRONG.exec(text)?.[0];
  if (found === undefined || found === '\n') return undefined;
  return RIGHT_TO_LEFT.test(found) ? 'rtl' : 'ltr';
}

/**
 * Where to cut within `max` characters: the last paragraph, line or word break, then (in Chinese or
 * Japanese, written without spaces) the last 。！？ ending a sentence, then the last boundary of a word
 * or a character as the reader sees it; never inside a link.
 */
function cutIndex(text: string, max: number): number {
  const window = text.slice(0, Math.max(1, max));
  for (const separator of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(separator);
    if (at > max * 0.5) return outsideLinks(text, at + separator.length);
  }
  const sentence = lastSentenceEnd(window);
  if (sentence > max * 0.5) return outsideLinks(text, sentence);
  return whole(text, outsideLinks(text, lastBoundary(text, window.length, max * 0.5)));
}

/** Full-width sentence ends, with the closing quotes or brackets that follow them (。」). */
const WIDE_SENTENCE_END = /[。！？][」』）〕】"'’”]*/g;

function lastSentenceEnd(window: string): number {
  let end = -1;
  for (const match of window.matchAll(WIDE_SENTENCE_END)) end = match.index + match[0].length;
  return end;
}

const WORDS = new Intl.Segmenter(undefined, { granularity: 'word' });
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** Characters read past the cut, so that the segmenters see what follows it (a combining mark, a ZWJ, a flag's second half). */
const LOOKAHEAD = 32;

/**
 * The last boundary at or before `max`: of a word (the segmenter knows Chinese, Japanese and Thai
 * words) when one falls after `least`, else of a grapheme. A cut by UTF-16 units alone split a
 * family emoji into its people, a flag into two letters, and a word such as 東京 into 東 and 京.
 */
function lastBoundary(text: string, max: number, least: number): number {
  const from = Math.max(0, Math.floor(least) - LOOKAHEAD);
  const piece = text.slice(from, max + LOOKAHEAD);
  let word = 0;
  for (const { index } of WORDS.segment(piece)) {
    if (from + index > max) break;
    word = from + index;
  }
  if (word > least) return word;
  let grapheme = 0;
  for (const { index } of GRAPHEMES.segment(text.slice(Math.max(0, max - LOOKAHEAD), max + LOOKAHEAD))) {
    const at = Math.max(0, max - LOOKAHEAD) + index;
    if (at > max) break;
    grapheme = at;
  }
  // One grapheme longer than the whole limit (zalgo text) is cut where it must be.
  return grapheme > 0 ? grapheme : max;
}

/** A hard cut moved back one unit where it would split a character (an emoji is two UTF-16 units). */
function whole(text: string, cut: number): number {
  return cut > 1 && isHighSurrogate(text.charCodeAt(cut - 1)) ? cut - 1 : cut;
}

/**
 * Links whose label has spaces: a Markdown link, or one already in a platform's own markup
 * (`<url|label>` on Slack). Cut inside, neither half is a link.
 */
const LINK = /\[[^\]\n]{1,500}\]\((?:[^()\s]|\([^()\s]*\)){1,2000}\)|<[^<>\n]{1,2500}>/g;

/** The cut moved to before the link it would fall in (unless that link starts the text: it is longer than a part). */
function outsideLinks(text: string, cut: number): number {
  for (const match of text.slice(0, cut + 2500).matchAll(LINK)) {
    const start = match.index;
    if (start >= cut) break;
    if (cut < start + match[0].length) return start > 0 ? start : cut;
  }
  return cut;
}

/** `text` with a code fence it leaves open closed, so a reply cut short still renders. */
export function closeOpenFence(text: string): string {
  const open = openFence(text);
  // trimEnd, not /\s+$/: that regex tried from each space of a long run of them, reading to its end each time.
  return open ? `${text.trimEnd()}\n${open.marker}` : text;
}

/** The fence left open at the end of `text`, if any. */
function openFence(text: string): { marker: string; info: string } | undefined {
  let open: { marker: string; info: string } | undefined;
  for (const line of text.split('\n')) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[2] as string;
    if (!open) open = { marker, info: (match[3] ?? '').trim() };
    else if (marker.startsWith(open.marker[0] as string) && marker.length >= open.marker.length && (match[3] ?? '').trim() === '') open = undefined;
  }
  return open;
}

/**
 * A long answer in Arabic or Hebrew split at a platform's limit: each message is laid out by its first
 * letter (Unicode's first strong character; a line break starts a paragraph), so a part that starts inside
 * a right-to-left line with a Latin word ("Cairn …") came out left to right. Checked on the split output and
 * on each platform's rendered parts: every part starts in the direction of the line it starts in.
 */
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/core/split.js';
import { renderParts as telegramParts } from '../../adapters/telegram/render.js';
import { renderParts as discordParts } from '../../adapters/discord/render.js';
import { renderMessages as slackMessages } from '../../adapters/slack/render.js';

const RLM = '\u200F';
const LRM = '\u200E';
const MARKS = /[\u200E\u200F]/g;

/** 'rtl' or 'ltr' by the first letter (or direction mark), as clients lay a paragraph out. */
function direction(text: string): 'rtl' | 'ltr' | undefined {
  const found = /[\p{L}\u200E\u200F]/u.exec(text)?.[0];
  if (found === undefined) return undefined;
  return /[\p{Script=Arabic}\p{Script=Hebrew}\u200F]/u.test(found) ? 'rtl' : 'ltr';
}

/** For each part after the first: the direction it starts in, and that of the line of `text` it starts in. */
function startsOf(text: string, parts: string[]): { part: string; own: string | undefined; line: string | undefined; midLine: boolean }[] {
  let from = 0;
  return parts.map((part) => {
    const plain = part.replace(MARKS, '');
    const at = text.indexOf(plain.slice(0, 40), from);
    expect(at).toBeGreaterThanOrEqual(0);
    from = at + 1;
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const lineEnd = text.indexOf('\n', at);
    return { part, own: direction(part), line: direction(text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd)), midLine: at > lineStart };
  });
}

const ARABIC = 'يعمل الخادم الرئيسي الآن بشكل جيد بعد التحديث الأخير. ';
const NAMES = 'Cairn Slack Telegram Discord ';

describe('splitting right-to-left text', () => {
  it('a part cut inside an Arabic line before a Latin word starts with a right-to-left mark, within the limit', () => {
    const text = `${ARABIC.repeat(20)}${NAMES.repeat(10)}${ARABIC.repeat(5)}`;
    const parts = splitMessage(text, 1_100);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[1]?.startsWith(`${RLM}Cairn`) || /^\u200F(?:Slack|Telegram|Discord) /.test(parts[1] ?? '')).toBe(true);
    expect(parts[0]?.startsWith(RLM)).toBe(false);
    expect(parts.every((part) => part.length <= 1_100)).toBe(true);
    // Nothing lost but the mark added.
    expect(parts.map((part) => part.replace(RLM, '')).join(' ')).toBe(text.trim());
  });

  it('parts that start with an Arabic word, or on a line of their own, are untouched', () => {
    const text = `${ARABIC.repeat(40)}\n${'Cairn works on English lines too. '.repeat(30)}\n${ARABIC.repeat(30)}`;
    const parts = splitMessage(text, 1_000);
    for (const start of startsOf(text, parts).slice(1)) {
      if (!start.midLine || start.own === start.line) expect(start.part.startsWith(RLM) || start.part.startsWith(LRM)).toBe(false);
    }
  });

  it('an English answer is not touched at all', () => {
    const text = 'The main server works again after the last update. '.repeat(200);
    expect(splitMessage(text, 2_000).join('')).not.toMatch(MARKS);
  });

  it('a line that starts in English stays left to right: a part cut before a quoted Arabic word starts with a left-to-right mark', () => {
    const text = `The greeting, in the team's words, is ${'مرحبا بكم '.repeat(200)}and that is all.`;
    const parts = splitMessage(text, 1_000);
    expect(parts[1]?.startsWith(LRM)).toBe(true);
  });

  it('Hebrew too; and a code block cut in two reopens its fence with no mark before it', () => {
    const hebrew = 'השרת הראשי עובד שוב אחרי העדכון האחרון. '.repeat(30) + 'Cairn '.repeat(200);
    expect(splitMessage(hebrew, 1_300)[1]?.startsWith(RLM)).toBe(true);
    const code = `${ARABIC}\n\`\`\`js\n${'const cairn = 1;\n'.repeat(150)}\`\`\``;
    const parts = splitMessage(code, 1_000);
    expect(parts.slice(1).every((part) => part.startsWith('```js\n'))).toBe(true);
  });

  it("on every platform's rendered parts, a part starting inside a line starts in that line's direction", () => {
    // An Arabic answer naming products in Latin letters, in lines and paragraphs of several lengths.
    const paragraphs = Array.from({ length: 12 }, (_, i) => `${ARABIC.repeat(8 + (i % 5) * 7)}${NAMES.repeat(3 + (i % 4) * 9)}${ARABIC.repeat(2 + (i % 3))}`);
    const text = paragraphs.join('\n\n');
    const rendered: Record<string, string[]> = {
      telegram: telegramParts(text).map((part) => part.plain),
      discord: discordParts(text),
      slack: slackMessages(text).map((message) => message.plain),
    };
    for (const [platform, parts] of Object.entries(rendered)) {
      expect(parts.length, platform).toBeGreaterThan(1);
      for (const start of startsOf(text, parts).slice(1)) if (start.midLine) expect({ platform, own: start.own }).toEqual({ platform, own: start.line });
    }
    // Telegram's HTML starts with the mark too, not only its plain fallback.
    expect(telegramParts(text).some((part) => part.html.startsWith(RLM))).toBe(true);
  });
});

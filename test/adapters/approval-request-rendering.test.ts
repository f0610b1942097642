/**
 * An approval request as each platform shows it: the command is what runs, character for
 * character. It went into the message as Markdown text, and every platform rendered it: globs
 * became italics (`*`), backticks were eaten as inline code, and `||` hid the dangerous part
 * behind a Discord spoiler. The question is built by the real ApprovalGate and rendered by each
 * adapter's own renderer, as its send does; what the platform then shows is read with the rule
 * that platform uses for code blocks (Slack and Discord end one at the first ``` in it).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { findDanger } from '../../src/backends/danger.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ManualTimers } from '../backends/helpers.js';
import { renderParts as telegramParts } from '../../adapters/telegram/render.js';
import { renderMessages as slackMessages, toMrkdwn } from '../../adapters/slack/render.js';
import { discordFences, renderParts as discordParts } from '../../adapters/discord/render.js';

let db: Db;
let gate: ApprovalGate;

beforeEach(() => {
  db = openDatabase(':memory:');
  gate = new ApprovalGate({ db, clock: new ManualClock(), timers: new ManualTimers(), timeoutMs: 300_000, logger: silentLogger });
});
afterEach(() => db.close());

/** The question as the gate posts it into the chat. */
async function questionFor(command: string): Promise<string> {
  const danger = findDanger(command);
  expect(danger, command).toBeDefined();
  const posted: string[] = [];
  const pending = gate.request(
    { sessionId: 's', conversationId: 'telegram:1', userId: 'telegram:1', backend: 'local', tool: 'terminal', command, danger: danger!, byAdmin: true },
    async (text) => void posted.push(text),
  );
  await new Promise((resolve) => setImmediate(resolve));
  const id = /\/approve (\w+)/.exec(posted[0] ?? '')?.[1] ?? '';
  gate.decide(id, false, 'telegram:9', 'telegram:9');
  await pending;
  return posted[0] ?? '';
}

const ZERO_WIDTH_SPACE = /\u200B/g;

/** What Telegram shows for parse_mode HTML, in its <pre> blocks: the text without tags, entities decoded. */
function telegramCode(html: string): string[] {
  return [...html.matchAll(/<pre><code[^>]*>([\s\S]*?)<\/code><\/pre>/g)].map((match) =>
    (match[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
  );
}

/** What Slack shows in its code blocks: each ends at the first ``` after it opens; entities decoded. */
function slackCode(mrkdwn: string): string[] {
  return [...mrkdwn.matchAll(/```\n?([\s\S]*?)\n?```/g)].map((match) => (match[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(ZERO_WIDTH_SPACE, ''));
}

/** What Discord shows in its code blocks (its client's rule: ``` then an optional language line, ending at the first ```). */
function discordCode(content: string): string[] {
  return [...content.matchAll(/```(?:([a-z0-9_+\-.#]+?)\n)?\n*([^\n][\s\S]*?)\n*```/gi)].map((match) => (match[2] ?? '').replace(ZERO_WIDTH_SPACE, ''));
}

const COMMANDS = [
  // Globs: Telegram, Slack and Discord showed `/home//.cache/ ~/*`, part of it in italics.
  'rm -rf /home/*/.cache/* ~/*',
  // A command substitution in backticks: the backticks were eaten as inline code.
  'echo "`date`: cleaning up" && rm -rf ~',
  // Discord hid `rm -rf ~` as a spoiler, and the part that needs approval was not repeated.
  'make clean || rm -rf ~ || true',
  // A fence in the command must not end the code block it is shown in.
  'echo ```not code``` && rm -rf ~',
  'printf "````\\n" > notes.md; rm -rf ~',
];

describe('the command in an approval request is shown as it will run', () => {
  it.each(COMMANDS)('on Telegram: %s', async (command) => {
    const question = await questionFor(command);
    expect(telegramParts(question).flatMap((part) => telegramCode(part.html))).toContain(command);
  });

  it.each(COMMANDS)('on Slack: %s', async (command) => {
    const question = await questionFor(command);
    const sections = slackMessages(question).flatMap((message) => message.blocks.map((block) => block.text.text));
    expect(sections.flatMap(slackCode)).toContain(command);
  });

  it.each(COMMANDS)('on Discord: %s', async (command) => {
    const question = await questionFor(command);
    const parts = discordParts(question);
    expect(parts).toHaveLength(1);
    expect(parts.flatMap(discordCode)).toContain(command);
  });
});

describe('fences the platforms do not read', () => {
  it('Discord gets ``` for a longer or a ~~~ fence, and a ``` inside a block that does not end it', () => {
    expect(discordFences('Run:\n````\necho ```x```\n````\nthen\n~~~sh\nls\n~~~')).toBe('Run:\n```\necho `\u200B`\u200B`x`\u200B`\u200B`\n```\nthen\n```sh\nls\n```');
    // Outside code, and in a plain ``` block without a fence in it, nothing changes.
    const ordinary = 'Say ```npm install``` and **go**:\n```ts\nconst a = `x`;\n```';
    expect(discordFences(ordinary)).toBe(ordinary);
  });

  it('Slack shows a ``` inside a code block without ending the block', () => {
    expect(toMrkdwn('````\necho ```x``` > a\n````\n**after**')).toBe('```\necho `\u200B`\u200B`x`\u200B`\u200B` &gt; a\n```\n*after*');
  });
});

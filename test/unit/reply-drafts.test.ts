/** Streamed drafts: when they are posted and edited, what they show, and how they end. */
import { describe, expect, it } from 'vitest';
import { ReplyDrafts, previewOf, type DraftSurface } from '../../src/core/reply-drafts.js';
import { silentLogger } from '../../src/core/logger.js';
import { CairnError } from '../../src/core/errors.js';

/** Timers fired by hand, in the order they were set. */
class Timers {
  readonly entries: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  readonly timer = (ms: number, fire: () => void) => {
    const entry = { ms, fire, cancelled: false };
    this.entries.push(entry);
    return () => void (entry.cancelled = true);
  };
  active(): number[] {
    return this.entries.filter((e) => !e.cancelled).map((e) => e.ms);
  }
  /** Fires what is due, then lets the update it starts finish. */
  async fire(): Promise<void> {
    for (const entry of this.entries.filter((e) => !e.cancelled)) {
      entry.cancelled = true;
      entry.fire();
    }
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

/** A surface that records what it was asked to show. */
class Chat implements DraftSurface<number> {
  readonly shown: string[] = [];
  readonly calls: string[] = [];
  failNext = 0;
  /** What a failed call throws (a plain error unless a test sets a rate limit). */
  failure: Error = new Error('429');
  decline = false;
  hold: Promise<void> | undefined;
  async post(conversationId: string, text: string, replyTo: string | undefined): Promise<number | undefined> {
    this.calls.push(`post ${conversationId} ${replyTo ?? '-'}`);
    await this.hold;
    if (this.failNext-- > 0) throw this.failure;
    if (this.decline) return undefined;
    this.shown.push(text);
    return this.shown.length;
  }
  async edit(ref: number, text: string): Promise<void> {
    this.calls.push(`edit ${ref}`);
    if (this.failNext-- > 0) throw this.failure;
    this.shown.push(text);
  }
}

function setUp(maxChars = 200) {
  const timers = new Timers();
  const chat = new Chat();
  const drafts = new ReplyDrafts<number>({ surface: chat, timer: timers.timer, everyMs: (id) => (id === 'group' ? 3_000 : 1_000), maxChars, logger: silentLogger });
  const delta = (text: string, conversation = 'dm') => drafts.event(conversation, { type: 'text-delta', text }, 'm1');
  return { timers, chat, drafts, delta };
}

describe('reply drafts', () => {
  it('makes no draft for an answer done before the first update is due', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('Short answer.');
    expect(timers.active()).toEqual([1_000]);
    expect(await drafts.finish('dm')).toBeUndefined();
    expect(timers.active()).toEqual([]);
    expect(chat.calls).toEqual([]);
  });

  it('posts the draft once an update is due, then edits it at most once per interval, only when the text changed', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('The first ');
    delta('words');
    await timers.fire();
    expect(chat.calls).toEqual(['post dm m1']);
    expect(chat.shown).toEqual(['The first words']);
    expect(drafts.showing('dm')).toBe(true);
    expect(timers.active()).toEqual([]);

    delta(' and more');
    delta(' and more');
    expect(timers.active()).toEqual([1_000]);
    await timers.fire();
    expect(chat.calls).toEqual(['post dm m1', 'edit 1']);
    expect(chat.shown.at(-1)).toBe('The first words and more and more');

    // Whitespace alone does not change what shows: no edit.
    delta('  ');
    await timers.fire();
    expect(chat.calls).toHaveLength(2);
    expect(await drafts.finish('dm')).toBe(1);
    expect(drafts.showing('dm')).toBe(false);
  });

  it('paces each conversation by its own interval', () => {
    const { timers, delta } = setUp();
    delta('hi', 'group');
    delta('hi', 'dm');
    expect(timers.active()).toEqual([3_000, 1_000]);
  });

  it('counts the drafts streaming, so conversations that share a rate limit can divide it', async () => {
    const { drafts, delta } = setUp();
    delta('a', 'dm');
    delta('b', 'group');
    expect(drafts.streaming()).toBe(2);
    expect(drafts.streaming((id) => id === 'group')).toBe(1);
    await drafts.finish('dm');
    expect(drafts.streaming()).toBe(1);
    drafts.drop('group');
    expect(drafts.streaming()).toBe(0);
  });

  it('keeps showing the text before a tool call until the next text replaces it', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('Let me look that up.');
    await timers.fire();
    drafts.event('dm', { type: 'tool-call', name: 'web_search' });
    expect(timers.active()).toEqual([]);
    delta('It is ');
    delta('15 °C.');
    await timers.fire();
    expect(chat.shown).toEqual(['Let me look that up.', 'It is 15 °C.']);
    // A retried model call withdraws its text the same way.
    drafts.event('dm', { type: 'text-reset', reason: 'retry' });
    delta('It is 16 °C.');
    await timers.fire();
    expect(chat.shown.at(-1)).toBe('It is 16 °C.');
  });

  it('starts a new draft below anything Cairn posted since, leaving the old one as it was', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('Making the chart.');
    await timers.fire();
    drafts.event('dm', { type: 'tool-call', name: 'send_file' });
    drafts.posted('dm');
    delta('The chart is above.');
    await timers.fire();
    expect(chat.calls).toEqual(['post dm m1', 'post dm m1']);
    expect(await drafts.finish('dm')).toBe(2);
  });

  it('keeps a draft that something was posted below when no text came since: the answer goes below it all', async () => {
    const { timers, drafts, delta } = setUp();
    delta("I'll run the migration.");
    await timers.fire();
    drafts.event('dm', { type: 'tool-call', name: 'terminal' });
    // An approval request, then "OK, stopping.": the turn ends without more text.
    drafts.posted('dm');
    expect(await drafts.finish('dm')).toBeUndefined();
  });

  it('removes a draft the model wrote on into after something was posted below it (the answer showed twice); replaces it where it cannot', async () => {
    for (const removable of [true, false]) {
      const { timers, drafts, delta, chat } = setUp();
      const removed: number[] = [];
      if (removable) Object.assign(chat, { remove: async (ref: number) => (removed.push(ref), true) });
      delta('Here is the plan: first we ');
      await timers.fire();
      // Meanwhile Cairn answers something else here (an admin's /status): the adapter says so.
      drafts.posted('dm');
      // The model writes on into the same answer (no tool call, no retry).
      delta('migrate the database, then switch the traffic over.');
      await timers.fire();
      expect(chat.shown.at(-1)).toBe('Here is the plan: first we migrate the database, then switch the traffic over.');
      // Removed: the answer goes below, once. Not removable: the answer replaces the draft.
      expect(await drafts.finish('dm')).toBe(removable ? undefined : 1);
      expect(removed).toEqual(removable ? [1] : []);
    }
  });

  it('backs off after a failed update and catches up with all the text', async () => {
    const { timers, chat, drafts, delta } = setUp();
    chat.failNext = 1;
    delta('one');
    await timers.fire();
    expect(chat.shown).toEqual([]);
    delta(' two');
    expect(timers.active()).toEqual([2_000]);
    await timers.fire();
    expect(chat.shown).toEqual(['one two']);
    delta(' three');
    expect(timers.active()).toEqual([1_000]);
    await drafts.finish('dm');
  });

  it("waits what a rate limit's Retry-After says before the next update, then goes back to the usual pace", async () => {
    const { timers, chat, drafts, delta } = setUp();
    chat.failNext = 1;
    chat.failure = new CairnError('rate_limit', 'Slack is rate-limiting Cairn (retry after 30 s).', { isRetryable: true, retryAfterMs: 30_000, status: 429 });
    delta('one');
    await timers.fire();
    delta(' two');
    expect(timers.active()).toEqual([30_000]);
    await timers.fire();
    expect(chat.shown).toEqual(['one two']);
    delta(' three');
    expect(timers.active()).toEqual([1_000]);
    await drafts.finish('dm');
  });

  it('stops for a turn whose surface cannot show a draft', async () => {
    const { timers, chat, drafts, delta } = setUp();
    chat.decline = true;
    delta('one');
    await timers.fire();
    delta(' two');
    expect(timers.active()).toEqual([]);
    expect(chat.calls).toEqual(['post dm m1']);
    expect(await drafts.finish('dm')).toBeUndefined();
  });

  it('waits for an update under way before handing the draft to the answer', async () => {
    const { timers, chat, drafts, delta } = setUp();
    let release!: () => void;
    chat.hold = new Promise((resolve) => (release = resolve));
    delta('slow network');
    await timers.fire();
    const finished = drafts.finish('dm');
    delta(' ignored');
    release();
    expect(await finished).toBe(1);
    expect(chat.shown).toEqual(['slow network']);
    expect(timers.active()).toEqual([]);
  });

  it('starts the next turn afresh even when the last one never said it was done', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('first turn');
    await timers.fire();
    await drafts.finish('dm');
    delta(' late');
    expect(timers.active()).toEqual([]);
    drafts.event('dm', { type: 'text-delta', text: 'second turn' }, 'm2');
    await timers.fire();
    expect(chat.calls).toEqual(['post dm m1', 'post dm m2']);
    expect(chat.shown).toEqual(['first turn', 'second turn']);
  });

  it('removes a draft shown for long, so the answer comes as a new message that notifies; keeps one it cannot remove', async () => {
    const timers = new Timers();
    let now = 0;
    const removed: number[] = [];
    let refuse = false;
    const chat = Object.assign(new Chat(), {
      remove: async (ref: number) => {
        if (refuse) throw new Error('message to delete not found');
        removed.push(ref);
        return true;
      },
    });
    const drafts = new ReplyDrafts<number>({ surface: chat, timer: timers.timer, everyMs: () => 1_000, maxChars: 200, logger: silentLogger, answerAnewAfterMs: 30_000, now: () => now });
    const delta = (text: string) => drafts.event('dm', { type: 'text-delta', text }, 'm1');

    // A quick turn: the answer replaces the draft, as before.
    delta('Quick.');
    await timers.fire();
    now += 29_000;
    expect(await drafts.finish('dm')).toBe(1);
    drafts.drop('dm');

    // A long one: the draft goes, the answer is sent anew.
    delta('Looking into it.');
    await timers.fire();
    now += 30_000;
    expect(await drafts.finish('dm')).toBeUndefined();
    expect(removed).toEqual([2]);
    drafts.drop('dm');

    // One the platform will not delete stays, and the answer replaces it.
    refuse = true;
    delta('Still looking.');
    await timers.fire();
    now += 60_000;
    expect(await drafts.finish('dm')).toBe(3);
  });

  it('forgets a conversation whose turn is done', async () => {
    const { timers, chat, drafts, delta } = setUp();
    delta('partial');
    drafts.event('dm', { type: 'done' });
    expect(timers.active()).toEqual([]);
    expect(await drafts.finish('dm')).toBeUndefined();
    expect(chat.calls).toEqual([]);
  });

  it('shows a long text cut at a break and marked, and closes an open code block', () => {
    expect(previewOf('Here:\n```ts\nconst a = 1;', 100)).toBe('Here:\n```ts\nconst a = 1;\n```');
    const long = `${'word '.repeat(60)}end`;
    const preview = previewOf(long, 100);
    expect(preview.length).toBeLessThanOrEqual(100);
    expect(preview.endsWith('\n…')).toBe(true);
    expect(preview).not.toContain('wor\n');
    expect(previewOf('  \n ', 100)).toBe('');
  });
});

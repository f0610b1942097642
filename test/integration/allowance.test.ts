/**
 * Daily allowances: with CAIRN_USER_DAILY_TOKENS, a person whose turns used that many
 * tokens today (as the model reported them) is told when they can go on, others are
 * not affected, admins have no limit, and it renews at midnight UTC. /usage says
 * where one stands.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  server.setDefault(() => ({ text: 'done', usage: { prompt_tokens: 500, completion_tokens: 20 } }));
  // Reflection off: its model calls are the aux model's, not a person's, and would only add noise.
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2,3', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_USER_DAILY_TOKENS: '1000' }));
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const from = (senderId: string, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, {
    senderId,
    userId: `telegram:${senderId}`,
    conversationId: `telegram:dm:${senderId}`,
    ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}),
  });
};

/** A mention of the bot in one of several groups. */
const inGroup = (senderId: string, group: number, text: string): InboundMessage =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: `telegram:-100${group}`, isDirect: false, addressed: true });

describe('daily allowance', () => {
  it('stops a person at their allowance until midnight UTC, and no one else', async () => {
    // The clock stands at 09:00 UTC.
    expect(await cairn.gateway.receive(from('2', 'first'))).toBe('turn');
    // 520 used, under 1,000: the turn that crosses the line still runs.
    expect(await cairn.gateway.receive(from('2', 'second'))).toBe('turn');
    expect(await cairn.gateway.receive(from('2', 'third'))).toBe('rejected');
    expect(telegram.texts().at(-1)).toBe("You have used today's allowance of 1,000 tokens. It renews at 00:00 UTC, in 15 h 0 min.");
    expect(server.chatRequests()).toHaveLength(2);

    await cairn.gateway.receive(from('2', '/usage'));
    expect(telegram.texts().at(-1)).toBe('Today (since 00:00 UTC) your requests used 1,040 tokens.\nYour daily allowance is 1,000: 0 left, renewing in 15 h 0 min.');

    // Someone else, and an admin past the allowance, go on.
    expect(await cairn.gateway.receive(from('3', 'mine'))).toBe('turn');
    for (const text of ['a', 'b', 'c']) expect(await cairn.gateway.receive(from('1', text))).toBe('turn');
    await cairn.gateway.receive(from('1', '/usage'));
    expect(telegram.texts().at(-1)).toBe(
      'Today (since 00:00 UTC) your requests used 1,560 tokens.\nThe daily allowance is 1,000 tokens a person; admins have none.\nEveryone together, background work included: 3,120 tokens in 6 model calls.\nThis month (since the 1st, 00:00 UTC), everyone together: 3,120 tokens in 6 model calls.',
    );

    cairn.manualClock.advance(15 * 60 * 60 * 1000);
    expect(await cairn.gateway.receive(from('2', 'a new day'))).toBe('turn');
    expect(telegram.texts().at(-1)).toBe('done');
  });

  it('an account that unlinks from a person keeps what the person spent today (link and unlink gave a fresh allowance)', async () => {
    await cairn.gateway.receive(from('3', '/link'));
    const code = /\/link (\S+)`/.exec(telegram.texts().at(-1) ?? '')?.[1];
    expect(code).toBeDefined();
    await cairn.gateway.receive(from('2', `/link ${code}`));
    expect(telegram.texts().at(-1)).toMatch(/^Linked\./);
    // Account 2 spends the person's allowance, then leaves the person.
    expect(await cairn.gateway.receive(from('2', 'first'))).toBe('turn');
    expect(await cairn.gateway.receive(from('2', 'second'))).toBe('turn');
    expect(await cairn.gateway.receive(from('2', 'third'))).toBe('rejected');
    await cairn.gateway.receive(from('2', '/unlink'));
    // Its conversation ended: its prompt held the person's notes.
    expect(telegram.texts().at(-1)).toBe('This account is no longer linked to your others. Our conversation starts afresh, without what I know from them.');
    expect(await cairn.gateway.receive(from('2', 'fresh start?'))).toBe('rejected');
    expect(await cairn.gateway.receive(from('3', 'and the person?'))).toBe('rejected');
    await cairn.gateway.receive(from('2', '/usage'));
    expect(telegram.texts().at(-1)).toBe('Today (since 00:00 UTC) your requests used 1,040 tokens.\nYour daily allowance is 1,000: 0 left, renewing in 15 h 0 min.');
    // Reports count each call once.
    expect(cairn.ledger.totals(0).promptTokens + cairn.ledger.totals(0).completionTokens).toBe(1040);
    // Tomorrow both start afresh.
    cairn.manualClock.advance(15 * 60 * 60 * 1000);
    expect(await cairn.gateway.receive(from('2', 'a new day'))).toBe('turn');
    expect(await cairn.gateway.receive(from('3', 'a new day'))).toBe('turn');
  });

  it('the account holding the person key keeps the person\'s spending too when it unlinks', async () => {
    await cairn.gateway.receive(from('2', '/link'));
    const code = /\/link (\S+)`/.exec(telegram.texts().at(-1) ?? '')?.[1];
    await cairn.gateway.receive(from('3', `/link ${code}`));
    await cairn.gateway.receive(from('3', 'first'));
    await cairn.gateway.receive(from('3', 'second'));
    // Account 2 held the person key: it passes to 3, and 2 leaves with the day's spending.
    await cairn.gateway.receive(from('2', '/unlink'));
    expect(await cairn.gateway.receive(from('2', 'fresh start?'))).toBe('rejected');
    expect(await cairn.gateway.receive(from('3', 'still spent'))).toBe('rejected');
  });

  it('counts from the database, so a restart does not reset it', async () => {
    await cairn.gateway.receive(from('2', 'first'));
    await cairn.gateway.receive(from('2', 'second'));
    const dataDir = cairn.config.dataDir;
    await cairn.close();
    cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_USER_DAILY_TOKENS: '1000' }, dataDir));
    cairn.gateway.attach(telegram);
    expect(await cairn.gateway.receive(from('2', 'third'))).toBe('rejected');
  });

  it("counts the summary that compresses a person's long conversation toward their allowance, as part of their turn", async () => {
    await cairn.close();
    cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_CONTEXT_TOKENS: '1200' }));
    cairn.gateway.attach(telegram);
    for (let n = 0; n < 6; n++) await cairn.gateway.receive(from('2', `message ${n}: ${'words to remember '.repeat(40)}`));
    const summaries = cairn.db.prepare("SELECT user_key FROM model_calls WHERE purpose = 'summary'").pluck().all();
    expect(summaries.length).toBeGreaterThan(0);
    expect(new Set(summaries)).toEqual(new Set(['telegram:2']));
  });

  it("counts the vision model's tokens toward the allowance of the person who sent the image", async () => {
    await cairn.close();
    cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_USER_DAILY_TOKENS: '1000', CAIRN_VISION_MODEL: 'vision-model' }));
    cairn.gateway.attach(telegram);
    // The description first (its own call, before the turn), then the turn's answer.
    server.enqueue({ text: 'A red error banner.', usage: { prompt_tokens: 700, completion_tokens: 100 } });
    const photo = { label: 'a photo', fileName: 'photo.jpg', contentType: 'image/jpeg', size: 4, load: async () => Buffer.from('JPEG') };
    expect(await cairn.gateway.receive({ ...from('2', 'what is this?'), attachments: ['a photo'], files: [photo] })).toBe('turn');
    await cairn.gateway.receive(from('2', '/usage'));
    expect(telegram.texts().at(-1)).toBe('Today (since 00:00 UTC) your requests used 1,320 tokens.\nYour daily allowance is 1,000: 0 left, renewing in 15 h 0 min.');
    expect(await cairn.gateway.receive(from('2', 'and now?'))).toBe('rejected');
    expect(cairn.ledger.byPerson(0)).toEqual([{ user: 'telegram:2', calls: 2, tokens: 1_320, costUsd: undefined }]);
  });

  it('lets only one turn cross the line when a person writes in several conversations at once', async () => {
    // 520 of 1,000 used.
    expect(await cairn.gateway.receive(inGroup('2', 1, 'first'))).toBe('turn');
    // Mentions in six groups at the same moment: each would read 520 < 1,000 at its start.
    const outcomes = await Promise.all([1, 2, 3, 4, 5, 6].map((group) => cairn.gateway.receive(inGroup('2', group, `more ${group}`))));
    expect(outcomes.filter((outcome) => outcome === 'turn')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'rejected')).toHaveLength(5);
    expect(cairn.ledger.userTotals('telegram:2', 0).tokens).toBe(1_040);
  });

  it("runs a person's turns one after another, each checked when it starts, and others' beside them", async () => {
    // A fresh day: three at once, each 520. The first two run (the second crosses the line), the third is refused.
    const mine = Promise.all([1, 2, 3].map((group) => cairn.gateway.receive(inGroup('2', group, `go ${group}`))));
    // Someone else's turn and an admin's do not wait behind them.
    const others = Promise.all([cairn.gateway.receive(inGroup('3', 4, 'mine')), cairn.gateway.receive(inGroup('1', 5, 'admin'))]);
    expect(await others).toEqual(['turn', 'turn']);
    expect((await mine).sort()).toEqual(['rejected', 'turn', 'turn']);
    expect(cairn.ledger.userTotals('telegram:2', 0).tokens).toBe(1_040);
  });

  it('lets a turn waiting behind the same person\'s turn go when a shutdown aborts them', async () => {
    server.enqueue({ hang: true });
    const first = cairn.gateway.receive(inGroup('2', 1, 'slow'));
    while (server.chatRequests().length < 1) await new Promise((resolve) => setImmediate(resolve));
    const second = cairn.gateway.receive(inGroup('2', 2, 'waiting'));
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setImmediate(resolve));
    expect(server.chatRequests()).toHaveLength(1);

    await cairn.gateway.drain(0, async () => undefined);
    expect(await Promise.all([first, second])).toEqual(['failed', 'failed']);
    expect(server.chatRequests()).toHaveLength(1);
    expect(telegram.sent.filter((sent) => sent.conversationId === 'telegram:-1002').map((sent) => sent.reply.text)).toEqual([
      'I was stopped before I could finish (Cairn is restarting). Your message is saved; send it again in a moment.',
    ]);
  });
  it("lets /stop stop a turn waiting behind the same person's turn elsewhere: it says so, and the request never runs", async () => {
    let release!: () => void;
    server.enqueue({ after: new Promise((resolve) => (release = () => resolve(undefined))), then: { text: 'done' } });
    const first = cairn.gateway.receive(inGroup('2', 1, 'long task in group one'));
    while (server.chatRequests().length < 1) await new Promise((resolve) => setImmediate(resolve));
    const waiting = cairn.gateway.receive(inGroup('2', 2, 'question in group two'));
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setImmediate(resolve));
    // Waiting is not running: /status counts the one turn that runs.
    expect(cairn.gateway.runningTurns()).toBe(1);

    expect(await cairn.gateway.receive({ ...inGroup('2', 2, '/stop'), command: { name: 'stop', args: '' } })).toBe('command');
    expect(await waiting).toBe('stopped');
    release();
    expect(await first).toBe('turn');
    expect(server.chatRequests()).toHaveLength(1);
    expect(telegram.sent.filter((sent) => sent.conversationId === 'telegram:-1002').map((sent) => sent.reply.text)).toEqual([
      'OK, stopping.',
      'Stopped before it started: it was waiting for your request in another conversation to finish.',
    ]);
  });
});

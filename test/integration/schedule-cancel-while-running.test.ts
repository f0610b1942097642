/**
 * A one-off's run counts as done once handed on, and `cancel` still calls it off until that run
 * ends. Once the run's turn has begun (the model is working on it), cancelling it must still hold:
 * the owner was told "Cancelled task #1", and the answer was posted anyway a moment later.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { startScheduleWorld } from '../helpers/schedule-world.js';
import type { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let timers: ManualTimers;
const MINUTE = 60_000;

beforeEach(async () => {
  ({ server, cairn, telegram, timers } = await startScheduleWorld());
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const inGroup = (text: string): InboundMessage => telegram.message(text, { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:-100', isDirect: false, addressed: true });
const inDm = (text: string, command?: { name: string; args: string }): InboundMessage =>
  telegram.message(text, { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:dm:2', isDirect: true, ...(command ? { command } : {}) });
const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const textsIn = (conversationId: string) => telegram.sent.filter((s) => s.conversationId === conversationId).map((s) => s.reply.text);

describe('cancelling a one-off while its run is under way', () => {
  it('does not post the answer after the owner was told "Cancelled"', async () => {
    const runs: Promise<unknown>[] = [];
    cairn.schedules.start((message) => {
      const run = cairn.gateway.receive(message);
      runs.push(run);
      return run;
    }, cairn.gateway.platforms());
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the release notes for v2.', at: '2026-11-24T09:30' } }] }, { text: 'Scheduled for 09:30.' });
    await cairn.gateway.receive(inGroup('at 9:30 post the release notes for v2'));

    // 09:30: the run starts; the model takes a while.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    server.enqueue({ after: gate, then: { text: 'Release notes for v2: ...' } });
    cairn.manualClock.advance(30 * MINUTE);
    timers.fireAll();
    while (!server.chatRequests().some((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task'))) await new Promise((resolve) => setImmediate(resolve));

    // The owner changes their mind, from their direct chat.
    await cairn.gateway.receive(inDm('/schedules cancel 1', { name: 'schedules', args: 'cancel 1' }));
    const told = textsIn('telegram:dm:2').at(-1) ?? '';

    server.setDefault(() => ({ text: 'ok' }));
    release();
    await Promise.all(runs);
    expect(told).toMatch(/^Cancelled task #1/);
    expect(textsIn('telegram:-100')).not.toContain('Release notes for v2: ...');
    expect(textsIn('telegram:-100').at(-1)).toBe('Scheduled task #1 was cancelled while it ran; its answer is not posted.');
  });
});

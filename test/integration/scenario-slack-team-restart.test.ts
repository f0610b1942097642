/**
 * A Slack team over two days: a member asks in a channel thread and sets a daily summary there, an
 * admin switches the thread's model, and Cairn restarts on the same data folder in between. The
 * thread's conversation goes on with its history and model; the summary runs in the thread, on
 * that model, that day and the next (when the conversation has gone idle and starts afresh).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ManualTimers } from '../backends/helpers.js';
import { tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';

const rig = useFakeModelRig();
const THREAD = 'slack:T1:C1:1700000000.1';
const MINUTE = 60_000;

interface Running {
  cairn: TestCairn;
  slack: RecordingAdapter;
  timers: ManualTimers;
  clock: ManualClock;
}

function start(dataDir: string, at: number): Running {
  const clock = new ManualClock(at);
  const timers = new ManualTimers();
  const config = testConfig(rig.server.url, { SLACK_ALLOWED_USERS: 'U1', SLACK_ADMIN_USERS: 'U2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }, dataDir);
  const cairn = rig.startWith(config, { clock, timers });
  const slack = new RecordingAdapter('slack');
  cairn.gateway.attach(slack);
  return { cairn: { ...cairn, manualClock: clock }, slack, timers, clock };
}

const inThread = (slack: RecordingAdapter, senderId: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage =>
  slack.message(text, { conversationId: THREAD, senderId, userId: `slack:T1:${senderId}`, userName: senderId === 'U2' ? 'boss' : 'ana', isDirect: false, addressed: true, ...extra });

/** The newest chat request whose messages hold `text`. */
const requestWith = (text: string) => rig.server.chatRequests().findLast((body) => JSON.stringify(body.messages).includes(text));

describe('a Slack team over two days, with a restart in between', () => {
  it('keeps the thread’s model, history and daily summary across the restart', async () => {
    rig.server.setModels(['test-model', 'fast-model']);
    const dataDir = tempDir();
    const day1 = Date.UTC(2026, 10, 24, 9);
    const first = start(dataDir, day1);
    rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Summarize the open tickets.', cron: '0 10 * * *' } }] }, { text: 'Scheduled the daily summary.' });
    await first.cairn.gateway.receive(inThread(first.slack, 'U1', 'post a summary of the open tickets here every day at 10:00; the codeword is PELICAN'));
    expect(first.cairn.schedules.store.get(1)?.conversationId).toBe(THREAD);
    expect(first.slack.texts().at(-1)).toBe('Scheduled the daily summary.');

    await first.cairn.gateway.receive(inThread(first.slack, 'U2', '/model fast-model', { command: { name: 'model', args: 'fast-model' } }));
    expect(first.slack.texts().at(-1)).toMatch(/fast-model/);
    first.clock.advance(5 * MINUTE);
    await first.cairn.gateway.receive(inThread(first.slack, 'U1', 'ok thanks'));
    expect(requestWith('ok thanks')?.model).toBe('fast-model');
    await first.cairn.close();

    // Ten minutes later Cairn is back on the same folder: the thread goes on where it was.
    const second = start(dataDir, day1 + 15 * MINUTE);
    const runs = runScheduledTasks(second.cairn, second.timers);
    await second.cairn.gateway.receive(inThread(second.slack, 'U1', 'what was the codeword?', { messageId: 'after-1' }));
    const asked = requestWith('what was the codeword?');
    expect(asked?.model).toBe('fast-model');
    expect(JSON.stringify(asked?.messages)).toContain('PELICAN');

    // 10:00: the summary runs in the thread, on the thread's model, and is posted there.
    await runs.pass(45 * MINUTE, 1);
    expect(requestWith('Summarize the open tickets.')?.model).toBe('fast-model');
    expect(second.slack.sent.at(-1)?.conversationId).toBe(THREAD);

    // The next day too: the conversation went idle overnight, so the run starts afresh.
    const before = rig.server.chatRequests().length;
    await runs.pass(24 * 60 * MINUTE, 1);
    const nextDay = rig.server.chatRequests().slice(before).find((body) => JSON.stringify(body.messages).includes('[Scheduled task #1'));
    expect(nextDay?.model).toBe('fast-model');
    expect(JSON.stringify(nextDay?.messages)).not.toContain('PELICAN');
    expect(second.slack.sent.at(-1)?.conversationId).toBe(THREAD);
  });
});

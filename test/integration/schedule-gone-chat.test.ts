/**
 * A repeating task in a chat Cairn can no longer post to (the bot was kicked from the group,
 * the channel deleted, the user blocked the bot) ran the agent at every run, forever, for
 * answers nobody could see: the platform's refusals now cancel it after a few runs in a row.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage, OutboundReply } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runScheduledTasks, type ScheduledRuns } from '../helpers/scheduled-runs.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

/** Telegram after the bot was removed from the group: every send to it is refused with 403. */
class KickedAdapter extends RecordingAdapter {
  kicked = false;
  override async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    if (this.kicked) throw new CairnError('permission', 'Telegram refused: Forbidden: bot was kicked from the group chat', { platform: 'telegram', status: 403 });
    return super.send(conversationId, reply);
  }
}

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: KickedAdapter;
let timers: ManualTimers;
const DAY = 24 * 60 * 60_000;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new KickedAdapter('telegram');
  timers = new ManualTimers();
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }), { timers });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = () => server.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

/** Scheduled runs go through the gateway; a daily task is set in a Telegram group. */
async function dailyTaskInGroup(): Promise<ScheduledRuns> {
  const scheduled = runScheduledTasks(cairn, timers);
  const group: Partial<InboundMessage> = { senderId: '2', userId: 'telegram:2', userName: 'user2', conversationId: 'telegram:-100', isDirect: false, addressed: true };
  server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup summary.', cron: '0 9 * * *' } }] }, { text: 'Scheduled.' });
  await cairn.gateway.receive(telegram.message('every day at 9 post the standup summary', group));
  return scheduled;
}

describe('a scheduled task in a chat Cairn can no longer post to', () => {
  it('is cancelled after three runs in a row whose answers the platform refused, instead of running the model every day forever', async () => {
    const { runs, pass } = await dailyTaskInGroup();
    expect(cairn.schedules.store.get(1)?.status).toBe('active');

    // The bot is removed from the group. Three days pass.
    telegram.kicked = true;
    server.setDefault(() => ({ text: 'Standup summary: ...' }));
    await pass(DAY, 3);

    // Three runs whose answers were refused (403): the task is cancelled, and runs no more.
    expect(scheduledRuns()).toBe(3);
    expect(cairn.schedules.store.get(1)?.status).toBe('cancelled');
    cairn.manualClock.advance(DAY);
    timers.fireAll();
    expect(runs).toHaveLength(3);
  });

  it('goes on when a refusal is followed by a delivered answer (a permission fixed)', async () => {
    const { pass } = await dailyTaskInGroup();
    server.setDefault(() => ({ text: 'Standup summary: ...' }));
    for (const kicked of [true, true, false, true, true]) {
      telegram.kicked = kicked;
      await pass(DAY, 1);
    }
    expect(scheduledRuns()).toBe(5);
    expect(cairn.schedules.store.get(1)?.status).toBe('active');
  });
});

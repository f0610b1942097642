/**
 * /schedules listed, and cancelled, only the tasks whose conversation id was exactly the command's.
 * Where a group is split into several conversations, the tasks that post into the group could not
 * be seen or cancelled there by their owner or an admin.
 *
 * Slack, with its default thread sessions: a task asked for by a mention in #team lives in that
 * mention's thread conversation (`slack:T1:C1:<ts>`) and posts there. `/cairn schedules` in the
 * channel carries no thread (`slack:T1:C1`), so it never listed the channel's tasks ("No scheduled
 * tasks here"), and `/cairn schedules cancel <id>` by the owner or an admin said the task was not
 * in this conversation. A slash command cannot be run inside a thread, so in the channel the
 * tasks that post into its threads could be neither seen nor cancelled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeEvent, normalizeSlashCommand, type NormalizeOptions } from '../../adapters/slack/normalize.js';
import { conversationIdOf as telegramConversationIdOf } from '../../adapters/telegram/normalize.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';
import type { Requester } from '../../src/schedules/index.js';

let server: FakeModelServer;
let cairn: TestCairn;
let slack: RecordingAdapter;
let telegram: RecordingAdapter;

beforeEach(async () => {
  server = await startFakeModelServer();
  slack = new RecordingAdapter('slack');
  telegram = new RecordingAdapter('telegram');
  cairn = startTestCairn(
    testConfig(server.url, { SLACK_ALLOWED_USERS: 'U1,U2,U3', SLACK_ADMIN_USERS: 'U1', TELEGRAM_ALLOWED_USERS: '1,2', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }),
    { timers: new ManualTimers() },
  );
  cairn.gateway.attach(slack);
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const options = (): NormalizeOptions => ({ bot: { teamId: 'T1', userId: 'UBOT', botId: 'BBOT' }, channelSessions: 'thread', isCommand: (name) => cairn.commands.get(name) !== undefined, now: new Date(cairn.manualClock.now()) });
let trigger = 0;
/** `/cairn <text>` in #team, by `user`, as the Slack adapter reads it. */
const slash = (user: string, text: string) =>
  normalizeSlashCommand({ command: '/cairn', text, team_id: 'T1', channel_id: 'C1', channel_name: 'team', user_id: user, user_name: user, trigger_id: `t${++trigger}` }, options())?.message;

describe('/cairn schedules in a Slack channel', () => {
  it('lists, and lets the owner cancel, the task a mention in that channel set', async () => {
    const mention = normalizeEvent({ type: 'app_mention', channel: 'C1', channel_type: 'channel', user: 'U2', text: '<@UBOT> every weekday at 9 remind us of the standup', ts: '1700000000.000100' }, { team_id: 'T1' }, options())?.message;
    if (!mention) throw new Error('mention not read');
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind the team of the standup.', cron: '0 9 * * 1-5' } }] }, { text: 'Done: every weekday at 09:00.' });
    await cairn.gateway.receive(mention);
    expect(cairn.schedules.store.active().map((task) => task.conversationId)).toEqual(['slack:T1:C1:1700000000.000100']);

    const list = slash('U2', 'schedules');
    if (!list) throw new Error('slash command not read');
    await cairn.gateway.receive(list);
    expect(slack.texts().at(-1)).toContain('#1 cron "0 9 * * 1-5"');

    const cancel = slash('U2', 'schedules cancel 1');
    if (!cancel) throw new Error('slash command not read');
    await cairn.gateway.receive(cancel);
    expect(slack.texts().at(-1)).toMatch(/^Cancelled task #1/);
  });

  it("says which thread a task is in, lets others see it but only its owner or an admin cancel it, and shows no other channel's", async () => {
    const inThread = { conversationId: 'slack:T1:C1:1700000000.000100', platform: 'slack', identity: 'slack:T1:U2', senderId: 'U2', userName: 'U2', isDirect: false, person: 'slack:T1:U2', isAdmin: false };
    cairn.schedules.create(inThread, { prompt: 'Remind the team of the standup.', cron: '0 9 * * 1-5' });
    // A channel whose id begins with C1's is another channel: its task is not C1's.
    cairn.schedules.create({ ...inThread, conversationId: 'slack:T1:C10:1700000000.000200' }, { prompt: 'Post the deploy log.', cron: '0 17 * * *' });

    await cairn.gateway.receive(slash('U3', 'schedules') ?? fail());
    expect(slack.texts().at(-1)).toBe(
      'Scheduled tasks (1):\n#1 cron "0 9 * * 1-5", next Wed 25 Nov 2026, 09:00 (UTC), set by U2: Remind the team of the standup. [in group chat slack:T1:C1:1700000000.000100]\n\nCancel one with /schedules cancel <id>.',
    );
    await cairn.gateway.receive(slash('U3', 'schedules cancel 1') ?? fail());
    expect(slack.texts().at(-1)).toBe("Task #1 is U2's; only they or an admin can cancel it.");
    await cairn.gateway.receive(slash('U1', 'schedules cancel 2') ?? fail());
    expect(slack.texts().at(-1)).toBe('There is no scheduled task #2 in this conversation; /schedules lists them.');
    await cairn.gateway.receive(slash('U1', 'schedules cancel 1') ?? fail());
    expect(slack.texts().at(-1)).toMatch(/^Cancelled task #1/);
    expect(cairn.schedules.store.active().map((task) => task.id)).toEqual([2]);
  });
});

/**
 * Telegram with one session per member of a group (`groupSessions: user`): a member's task in the
 * group lives in `telegram:-100:2` and posts into the group; the group's admin, in `telegram:-100:1`,
 * was told there is no such task, though "who set it, or an admin, cancels it".
 */
describe('/schedules in a Telegram group with a session per member', () => {
  it("lets the group's admin cancel a member's task that posts into the group", async () => {
    const member = telegramConversationIdOf(-100, 2, false, { bot: { id: 999, username: 'cairn_bot' }, groupSessions: 'user' });
    const admin = telegramConversationIdOf(-100, 1, false, { bot: { id: 999, username: 'cairn_bot' }, groupSessions: 'user' });
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post a meme.', cron: '*/5 * * * *' } }] }, { text: 'Every 5 minutes, a meme.' });
    await cairn.gateway.receive(telegram.message('every 5 minutes post a meme', { senderId: '2', userId: 'telegram:2', userName: 'member', conversationId: member, isDirect: false, addressed: true }));
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', conversationId: 'telegram:-100:2' });

    await cairn.gateway.receive(telegram.message('/schedules cancel 1', { senderId: '1', userId: 'telegram:1', userName: 'admin', conversationId: admin, isDirect: false, addressed: true, command: { name: 'schedules', args: 'cancel 1' } }));
    expect(telegram.texts().at(-1)).toMatch(/^Cancelled task #1/);
  });

  it("lists in the group, and in a member's own session there, the tasks of its members and topics, and none of another group", async () => {
    const member = (senderId: string, conversationId: string): Requester => ({ conversationId, platform: 'telegram', identity: `telegram:${senderId}`, senderId, userName: `user${senderId}`, isDirect: false, person: `telegram:${senderId}`, isAdmin: false });
    cairn.schedules.create(member('2', 'telegram:-100:2'), { prompt: 'Post a meme.', cron: '0 12 * * *' });
    cairn.schedules.create(member('2', 'telegram:-100:topic-7:2'), { prompt: 'Summarize the topic.', cron: '0 18 * * *' });
    // -1001 is another group, though its id begins with -100's.
    cairn.schedules.create(member('2', 'telegram:-1001:2'), { prompt: 'Not this group.', cron: '0 20 * * *' });
    cairn.schedules.create({ ...member('2', 'telegram:2'), isDirect: true }, { prompt: 'Private.', cron: '0 21 * * *' });
    const listed = async (senderId: string, conversationId: string) => {
      await cairn.gateway.receive(telegram.message('/schedules', { senderId, userId: `telegram:${senderId}`, userName: `user${senderId}`, conversationId, isDirect: false, addressed: true, command: { name: 'schedules', args: '' } }));
      return [...(telegram.texts().at(-1) ?? '').matchAll(/^#(\d+)/gm)].map((match) => Number(match[1]));
    };

    expect(await listed('1', 'telegram:-100:1')).toEqual([1, 2]);
    expect(await listed('2', 'telegram:-100:2')).toEqual([1, 2]);
    // In the topic, with groupSessions: user, the topic's only.
    expect(await listed('1', 'telegram:-100:topic-7:1')).toEqual([2]);
    expect(await listed('1', 'telegram:-1001:1')).toEqual([3]);
    expect(telegram.texts().filter((text) => text.includes('Private.'))).toEqual([]);

    // The agent's list there shows the same, each task of another conversation saying which.
    server.enqueue({ toolCalls: [{ name: 'list_scheduled_tasks', arguments: {} }] }, { text: 'Here they are.' });
    await cairn.gateway.receive(telegram.message('which tasks post here?', { senderId: '1', userId: 'telegram:1', userName: 'user1', conversationId: 'telegram:-100:1', isDirect: false, addressed: true }));
    const toolResult = (server.chatRequests().at(-1)?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').at(-1)?.content;
    expect(toolResult?.split('\n')).toEqual([
      '#1 cron "0 12 * * *", next Tue 24 Nov 2026, 12:00 (UTC), set by user2: Post a meme. [in group chat telegram:-100:2]',
      '#2 cron "0 18 * * *", next Tue 24 Nov 2026, 18:00 (UTC), set by user2: Summarize the topic. [in group chat telegram:-100:topic-7:2]',
    ]);
  });
});

function fail(): never {
  throw new Error('slash command not read');
}

/**
 * A repeating task set in a Discord thread that a moderator has since locked: a message sent to an
 * archived thread unarchives it, but not a locked one, and Discord answers every send there with
 * 400 "Thread is archived" (code 50083). Mapped to `bad_request`, it never counted as a refusal, so
 * the task ran the model at every run, forever, for answers nobody could see; now it is refused
 * like a 403, and three such runs in a row cancel the task.
 *
 * The real Discord adapter, against the fake Discord behind a proxy that answers as Discord does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiscordAPIError } from 'discord.js';
import { APP_ID, BOT_USER, GUILD_ID, THREAD_ID, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers as AdapterTimers } from '../helpers/manual-timers.js';
import { ManualTimers } from '../backends/helpers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { USER, guildMessage } from '../helpers/discord-rig.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { mapDiscordError } from '../../adapters/discord/errors.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const DAY = 24 * 60 * 60_000;
const THREAD_LOCKED = { message: 'Thread is archived', code: 50083 };

let model: FakeModelServer | undefined;
let fake: FakeDiscord | undefined;
let proxy: Proxy | undefined;
let adapter: DiscordAdapter | undefined;
let cairn: TestCairn | undefined;

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
});

const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = () => (model?.chatRequests() ?? []).filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

/** Cairn with the Discord adapter; once `thread.locked` is set, every message sent to the thread is refused as Discord refuses it. */
async function startBot(thread: { locked: boolean }) {
  model = await startFakeModelServer();
  fake = await startFakeDiscord();
  proxy = await startProxy(fake.apiUrl, (method, path) =>
    thread.locked && method === 'POST' && path.endsWith(`/channels/${THREAD_ID}/messages`) ? { status: 400, body: THREAD_LOCKED } : undefined,
  );
  const timers = new ManualTimers();
  const started = startTestCairn(
    testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: proxy.url, DISCORD_ALLOWED_USERS: USER.id, CAIRN_STREAM_REPLIES: 'false', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }),
    { timers },
  );
  cairn = started;
  adapter = new DiscordAdapter({ config: started.config, http: new HttpServer(), logger: silentLogger, commands: started.commands, sleep: async () => {} }, { timer: new AdapterTimers().timer, now: () => 1_700_000_000_000 });
  started.gateway.attach(adapter);
  const handled: Promise<unknown>[] = [];
  await adapter.start((message) => {
    const outcome = started.gateway.receive(message);
    handled.push(outcome);
    return outcome;
  });
  return { cairn: started, fake, model, handled, scheduled: runScheduledTasks(started, timers) };
}

describe('discord: a repeating task in a thread a moderator locked', () => {
  it('is cancelled after three runs whose answers Discord refused (400 "Thread is archived", 50083)', async () => {
    const thread = { locked: false };
    const { cairn, fake, model, handled, scheduled } = await startBot(thread);
    model.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup summary.', cron: '0 9 * * *' } }] }, { text: 'Scheduled: every day at 09:00.' });
    await fake.ready();
    fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000001', THREAD_ID, USER, `<@${BOT_USER.id}> every day at 9 post the standup summary`, { mentions: [BOT_USER] }));
    await vi.waitFor(() => expect(handled).toHaveLength(1));
    await Promise.all(handled);
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', conversationId: `discord:${GUILD_ID}:${THREAD_ID}` });

    // A moderator locks the thread. Five days pass.
    thread.locked = true;
    model.setDefault(() => ({ text: 'Standup summary: ...' }));
    await scheduled.pass(DAY, 5, 1);
    // As after a 403 (the bot's permission taken away): three runs whose answers went nowhere, then the task stops.
    expect({ status: cairn.schedules.store.get(1)?.status, modelRuns: scheduledRuns() }).toEqual({ status: 'cancelled', modelRuns: 3 });
  });

  it('maps 50083 to a refusal; other 400s stay bad requests', () => {
    const apiError = (raw: { message: string; code: number }) => new DiscordAPIError(raw, raw.code, 400, 'POST', `/channels/${THREAD_ID}/messages`, { body: {} });
    expect(mapDiscordError(apiError(THREAD_LOCKED))).toMatchObject({ code: 'permission', status: 400, isRetryable: false, platform: 'discord' });
    expect(mapDiscordError(apiError({ message: 'Cannot send an empty message', code: 50006 }))).toMatchObject({ code: 'bad_request', status: 400 });
  });
});

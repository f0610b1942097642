/**
 * A Discord team over two days, through the real adapter against the loopback fake: Ada (an admin)
 * asks with `/ask` in #general, Bob mentions Cairn in the incident thread with a runbook attached,
 * Ada 👍 an answer, Bob's commands are held for approval and Ada approves one and denies another
 * with the buttons, Bob nears his daily allowance, and Cairn restarts (stopped as `cairn start`
 * stops, then started on the same data folder) while a third command waits. After it: Bob is told
 * Cairn restarted (not a made-up cause), the question shows it was withdrawn, a press of its button
 * says it is settled, /usage still counts the day, a 👎 on an answer from before the restart counts,
 * and the next day the runbook is read back with read_attachment.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ID, BOT_USER, CHANNEL_ID, GUILD_ID, THREAD_ID, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer, type FakeReply } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualClock } from '../../src/core/clock.js';
import { DatabaseSentReplies, REMEMBERED_REPLIES, SentReplies } from '../../src/core/sent-replies.js';
import type { InboundMessage } from '../../src/core/message.js';
import type { PlatformName } from '../../src/core/adapter-factory.js';

const ADA = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
const BOB = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
const HOUR = 3_600_000;
const RESTARTING = 'I was stopped before I could finish (Cairn is restarting). Your message is saved; send it again in a moment.';
/** Bob may use 6,000 tokens a day; every model request here reports 920. Anyone may have commands run, an admin approves the dangerous ones. */
const ENV = { CAIRN_USER_DAILY_TOKENS: '6000', CAIRN_TOOLS_ADMIN_ONLY: 'false' };

/** What the model answers, by the last words a person wrote (first match), and whether a tool's result came after them. */
const SCRIPT: [RegExp, (afterTool: boolean) => FakeReply][] = [
  [/deploy window/, () => ({ text: 'Deploys go out on Tuesdays at 14:00.' })],
  [/our runbook/, () => ({ text: 'Got the runbook.' })],
  [/install the (\w+) tool/, (afterTool) => (afterTool ? { text: 'Done with the tool.' } : { toolCalls: [{ name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/tool | sh' } }] })],
  [/did the last tool get installed/, () => ({ text: 'No: Cairn restarted before an admin answered.' })],
  [/roll back/, (afterTool) => (afterTool ? { text: 'Run ./rollback.sh with the previous tag.' } : { toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1 } }] })],
];

function answer(body: ChatBody): FakeReply {
  // Requests without tools are note extraction (a conversation gone idle): nothing to keep.
  if (!body.tools) return { text: '{"notes": []}' };
  const messages = body.messages as { role: string; content: unknown }[];
  const asked = String(messages.findLast((m) => m.role === 'user')?.content ?? '');
  const reply = SCRIPT.find(([pattern]) => pattern.test(asked))?.[1](messages.at(-1)?.role === 'tool') ?? { text: `unscripted: ${asked}` };
  return { ...reply, usage: { prompt_tokens: 900, completion_tokens: 20 } } as FakeReply;
}

interface Running {
  cairn: TestCairn;
  clock: ManualClock;
  /** Waits until `count` events reached the core since this start, and all of them were handled. */
  settled(count: number): Promise<void>;
  /** As `cairn start` stops: turns in flight get their grace (over at once here), then the adapter goes, then the rest. */
  stop(): Promise<void>;
}

let model: FakeModelServer;
let fake: FakeDiscord;
const running: Running[] = [];
afterEach(async () => {
  for (const cairn of running.splice(0)) await cairn.stop();
  await fake.close();
  await model.close();
});

async function startWorld(): Promise<void> {
  model = await startFakeModelServer();
  model.setDefault((request) => answer(request.body as ChatBody));
  fake = await startFakeDiscord();
}

/** Cairn with the Discord adapter wired as `cairn start` wires it (its sent replies kept in the database). */
async function boot(dataDir: string, at: number, env: Record<string, string> = ENV): Promise<Running> {
  const clock = new ManualClock(at);
  const config = testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: `${ADA.id},${BOB.id}`, DISCORD_ADMIN_USERS: ADA.id, CAIRN_REFLECTION: 'off', ...env }, dataDir);
  const cairn = startTestCairn(config, { clock });
  const sentReplies = (platform: PlatformName) => new SentReplies(REMEMBERED_REPLIES, new DatabaseSentReplies(cairn.db, platform));
  const adapter = new DiscordAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {}, sentReplies, conversationMoved: cairn.moveConversation }, { timer: new ManualTimers().timer, now: () => clock.now() });
  cairn.gateway.attach(adapter);
  const inbound: InboundMessage[] = [];
  const handled: Promise<unknown>[] = [];
  const waiters: (() => void)[] = [];
  await adapter.start((message) => {
    inbound.push(message);
    const done = cairn.gateway.receive(message);
    handled.push(done.catch(() => undefined));
    for (const wake of waiters.splice(0)) wake();
    return done;
  });
  let stopped: Promise<void> | undefined;
  const started: Running = {
    cairn: { ...cairn, manualClock: clock },
    clock,
    async settled(count) {
      while (inbound.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      await Promise.all(handled);
    },
    stop: () =>
      (stopped ??= (async () => {
        await cairn.gateway.drain(config.agent.shutdownGraceMs, async () => {});
        await Promise.all(handled);
        await adapter.stop();
        await cairn.close();
      })()),
  };
  running.push(started);
  return started;
}

let nextId = 600_000_000_000_000_000n;
const snowflake = (): string => String(nextId++);
const channelOf = (channelId: string) => (channelId === THREAD_ID ? { id: THREAD_ID, type: 11, guild_id: GUILD_ID, parent_id: CHANNEL_ID } : { id: channelId, type: 0, guild_id: GUILD_ID });

function interaction(type: number, user: Record<string, unknown>, channelId: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const member = { user, roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, permissions: '0', flags: 0 };
  return { id: snowflake(), application_id: APP_ID, type, token: `token-${snowflake()}`, version: 1, guild_id: GUILD_ID, channel_id: channelId, channel: channelOf(channelId), member, data, app_permissions: '0', locale: 'en-US', entitlements: [], authorizing_integration_owners: {}, context: 0, attachment_size_limit: 0, ...extra };
}

/** `/ask <prompt>`, or `/<name>` for a chat command. */
const slash = (user: Record<string, unknown>, channelId: string, name: string, prompt = '') =>
  fake.dispatch('INTERACTION_CREATE', interaction(2, user, channelId, { id: '900', name, type: 1, options: prompt ? [{ name: 'prompt', type: 3, value: prompt }] : [] }));
/** A press of one of the buttons under Cairn's message `messageId`. */
const press = (user: Record<string, unknown>, channelId: string, command: string, messageId: string) =>
  fake.dispatch('INTERACTION_CREATE', interaction(3, user, channelId, { custom_id: command, component_type: 2 }, { message: messagePayload(messageId, channelId, BOT_USER, 'question') }));
/** "@Cairn …" in a channel of the server. */
const mention = (user: Record<string, unknown>, channelId: string, text: string, extra: Record<string, unknown> = {}) =>
  fake.dispatch('MESSAGE_CREATE', { ...messagePayload(snowflake(), channelId, user, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER], ...extra }), guild_id: GUILD_ID, member: { roles: [] } });
const react = (user: Record<string, unknown>, channelId: string, messageId: string, emoji: string) =>
  fake.dispatch('MESSAGE_REACTION_ADD', { user_id: user.id, channel_id: channelId, guild_id: GUILD_ID, message_id: messageId, emoji: { id: null, name: emoji }, burst: false, type: 0 });

/** Bob asks for a tool in the thread; resolves with the approval question Cairn posted there and its id. */
async function askForTool(which: string): Promise<{ question: { id: string; content: string }; id: string }> {
  const before = fake.sent.length;
  mention(BOB, THREAD_ID, `install the ${which} tool`);
  const question = (await fake.waitForSent(before + 1))[before];
  const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1];
  if (!question || !id) throw new Error(`no approval question: ${question?.content}`);
  expect(question.channelId).toBe(THREAD_ID);
  return { question, id };
}

const lastText = () => fake.sent.at(-1)?.content;
const taskOf = (cairn: Running, request: string) => cairn.cairn.db.prepare<[string], { feedback: string | null; outcome: string }>('SELECT feedback, outcome FROM tasks WHERE request = ?').get(request);

describe('a Discord team over two days, with a restart while a command waits for approval', () => {
  it('keeps what was said, decided and used across the restart, and tells each person the truth', async () => {
    await startWorld();
    const dataDir = tempDir();
    const day1 = Date.UTC(2026, 10, 24, 9);
    const first = await boot(dataDir, day1);
    let events = 0;

    slash(ADA, CHANNEL_ID, 'ask', 'when is our deploy window?');
    await first.settled(++events);
    const askAnswer = fake.sent.at(-1);
    expect(askAnswer).toMatchObject({ kind: 'original', content: 'Deploys go out on Tuesdays at 14:00.' });

    const url = fake.addFile('runbook.txt', Buffer.from('1. drain the node\n2. deploy\n3. rollback: run ./rollback.sh with the previous tag\n'));
    mention(BOB, THREAD_ID, 'here is our runbook', { attachments: [{ id: '700000000000000010', filename: 'runbook.txt', size: 79, url, proxy_url: url, content_type: 'text/plain' }] });
    await first.settled(++events);
    expect(String(model.chatRequests().at(-1)?.messages.at(-1).content)).toContain('[file (runbook.txt); attachment #1]\n1. drain the node');
    expect(fake.sent.at(-1)).toMatchObject({ channelId: THREAD_ID, content: 'Got the runbook.' });

    react(ADA, CHANNEL_ID, askAnswer?.id ?? '', '👍');
    await first.settled(++events);
    expect(taskOf(first, 'when is our deploy window?')).toEqual({ feedback: 'good', outcome: 'success' });

    // Ada approves the first command and denies the second, with the buttons under each question.
    const approved = await askForTool('first');
    press(ADA, THREAD_ID, `/approve ${approved.id}`, approved.question.id);
    await first.settled((events += 2));
    expect(fake.sent.slice(-2).map((sent) => sent.content)).toEqual([`Approved ${approved.id}: the command runs now.`, 'Done with the tool.']);
    const denied = await askForTool('second');
    press(ADA, THREAD_ID, `/deny ${denied.id}`, denied.question.id);
    await first.settled((events += 2));
    await vi.waitFor(() => expect(fake.contentOf(denied.question.id)).toMatch(/\n🚫 Denied by Ada\.$/));
    expect(fake.contentOf(approved.question.id)).toMatch(/\n✅ Approved by Ada\.$/);

    // A third waits; Ada's /status says so. Then Cairn is stopped, and started again ten minutes later.
    const waiting = await askForTool('last');
    slash(ADA, CHANNEL_ID, 'status');
    await vi.waitFor(() => expect(lastText()).toContain('Waiting for an admin: 1 command to approve (/approve).'));
    await first.stop();
    // Bob hears why his request ended; the question says it was withdrawn, its buttons gone.
    expect(fake.sent.filter((sent) => sent.channelId === THREAD_ID).at(-1)?.content).toBe(RESTARTING);
    await vi.waitFor(() => expect(fake.contentOf(waiting.question.id)).toMatch(/\nWithdrawn: the task ended before an answer\.$/));
    expect(fake.edits.findLast((edit) => edit.id === waiting.question.id)?.body.components).toEqual([]);

    const second = await boot(dataDir, day1 + 10 * 60_000);
    events = 0;
    // A press on the withdrawn request (a client that still showed the buttons) runs nothing.
    press(ADA, THREAD_ID, `/approve ${waiting.id}`, waiting.question.id);
    await second.settled(++events);
    expect(lastText()).toMatch(new RegExp(`^Request ${waiting.id} is already cancelled`));

    // The thread goes on: the model reads that the last command never ran.
    mention(BOB, THREAD_ID, 'did the last tool get installed?');
    await second.settled(++events);
    const history = JSON.stringify(model.chatRequests().findLast((body) => JSON.stringify(body.messages).includes('did the last tool'))?.messages);
    expect(history).toContain('install the last tool');
    expect(history).toContain('No result: the turn was interrupted before this tool finished.');
    expect(history).toContain(`denied it (request ${denied.id})`);

    // Bob's day so far, counted before and after the restart: seven requests of 920 tokens, six of them before it.
    slash(BOB, THREAD_ID, 'usage');
    await second.settled(++events);
    expect(lastText()).toBe('Today (since 00:00 UTC) your requests used 6,440 tokens.\nYour daily allowance is 6,000: 0 left, renewing in 14 h 50 min.');
    mention(BOB, THREAD_ID, 'install the next tool');
    await second.settled(++events);
    expect(lastText()).toBe("You have used today's allowance of 6,000 tokens. It renews at 00:00 UTC, in 14 h 50 min.");

    // Ada's 👎 on an answer Cairn sent before the restart counts for the turn that sent it.
    const firstTool = fake.sent.find((sent) => sent.content === 'Done with the tool.');
    react(ADA, THREAD_ID, firstTool?.id ?? '', '👎');
    await second.settled(++events);
    expect(lastText()).toBe("Thanks for telling me. I'll look at what went wrong and do better next time.");
    expect(taskOf(second, 'install the first tool')).toEqual({ feedback: 'bad', outcome: 'failure' });

    // The next morning the allowance has renewed, and the runbook is read back from the kept file.
    second.clock.advance(22 * HOUR);
    mention(BOB, THREAD_ID, 'how do we roll back again?');
    await second.settled(++events);
    const readBack = model.chatRequests().findLast((body) => JSON.stringify(body.messages).includes('roll back again'))?.messages.at(-1);
    expect(readBack).toMatchObject({ role: 'tool', content: expect.stringContaining('3. rollback: run ./rollback.sh with the previous tag') });
    expect(lastText()).toBe('Run ./rollback.sh with the previous tag.');

    slash(ADA, CHANNEL_ID, 'status');
    await second.settled(++events);
    expect(lastText()).toContain('Cairn is up 22 h 0 min (since 2026-11-24 09:10 UTC), on test-model.');
    expect(lastText()).toContain('Nothing waits for an admin.');
  });
});

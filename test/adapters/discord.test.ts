/** The Discord adapter: the real discord.js against a fake REST + gateway, wired to a real Cairn. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapterContract, type ContractHarness, type SendFailure } from './contract.js';
import { APP_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, THREAD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { GatedModel } from '../helpers/gated-model.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';
import { startCairn } from '../../src/cli/start.js';

const USER = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
const BOB = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };

class DiscordHarness implements ContractHarness {
  readonly maxMessageLength = 2000;
  fake!: FakeDiscord;
  adapter!: DiscordAdapter;
  readonly timers = new ManualTimers();
  /** The adapter's clock, moved by hand (how long a draft has shown). */
  now = 1_700_000_000_000;
  private readonly waits: number[] = [];
  private messageId = 600_000_000_000_000_000n;

  async env() {
    this.fake = await startFakeDiscord();
    return { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: this.fake.apiUrl, DISCORD_ALLOWED_USERS: USER.id };
  }

  /** Messages the adapter pushed into the core. */
  delivered = 0;

  async start(cairn: TestCairn) {
    this.adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async (ms) => void this.waits.push(ms) }, { timer: this.timers.timer, now: () => this.now });
    cairn.gateway.attach(this.adapter);
    this.delivered = 0;
    await this.adapter.start((message) => {
      this.delivered++;
      return cairn.gateway.receive(message);
    });
  }

  nextId(): string {
    return String(this.messageId++);
  }

  dm(text: string, id = this.nextId(), author: Record<string, unknown> = USER) {
    this.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(id, DM_CHANNEL_ID, author, text), channel_type: 1 });
  }

  async deliverDirect(text: string, options: { eventId?: string } = {}) {
    this.dm(text, options.eventId ? String(BigInt(700_000_000_000_000_000n) + BigInt(options.eventId.replace(/\D/g, '') || '0')) : undefined);
  }

  async deliverOwn(text: string) {
    this.dm(text, undefined, BOT_USER);
  }

  async replies(count: number) {
    return (await this.fake.waitForSent(count)).map((m) => m.content);
  }

  failNextSend(kind: SendFailure) {
    this.fake.failNextSend(kind);
  }

  sleeps() {
    return this.waits;
  }

  async stop() {
    await this.adapter.stop();
    await this.fake.close();
  }
}

/** `/ask` from the allowed user. */
const askUser = (id: string, token: string, prompt: string) => askInteraction(id, token, prompt, USER);

adapterContract('discord', () => new DiscordHarness());

describe('discord end to end', () => {
  let model: FakeModelServer;
  let harness: DiscordHarness;
  let cairn: TestCairn;

  async function setUp(env: Record<string, string> = {}) {
    model = await startFakeModelServer();
    harness = new DiscordHarness();
    cairn = startTestCairn(testConfig(model.url, { ...(await harness.env()), ...env }));
    await harness.start(cairn);
  }

  afterEach(async () => {
    await harness.stop();
    await cairn.close();
    await model.close();
  });

  it('registers /ask and the chat commands in the guild', async () => {
    await setUp();
    const [registration] = await harness.fake.waitForCall('PUT', /\/guilds\/\d+\/commands$/);
    const names = (registration!.body as unknown as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['ask', 'Ask Cairn', 'new', 'help', 'link', 'feedback', 'memory', 'skills']));
    expect((registration!.body as unknown as { name: string; type?: number }[]).find((c) => c.name === 'Ask Cairn')).toEqual({ name: 'Ask Cairn', type: 3 });
  });

  it('puts Approve and Deny buttons under an approval request; a press answers it in its own reply', async () => {
    await setUp({ DISCORD_ADMIN_USERS: USER.id, CAIRN_REFLECTION: 'off' });
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, 'install it the quick way'), channel_type: 1 });
    const [question] = await harness.fake.waitForSent(1);
    const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1] ?? '';
    expect(question?.body.components).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 2, label: 'Approve', custom_id: `/approve ${id}` },
          { type: 2, style: 2, label: 'Deny', custom_id: `/deny ${id}` },
        ],
      },
    ]);

    harness.fake.dispatch('INTERACTION_CREATE', {
      id: '800000000000000009',
      application_id: APP_ID,
      type: 3,
      token: 'button-token-1',
      version: 1,
      channel_id: DM_CHANNEL_ID,
      channel: { id: DM_CHANNEL_ID, type: 1 },
      user: USER,
      data: { custom_id: `/deny ${id}`, component_type: 2 },
      message: messagePayload(question?.id ?? '', DM_CHANNEL_ID, BOT_USER, question?.content ?? ''),
      app_permissions: '0',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: {},
      context: 1,
      attachment_size_limit: 0,
    });
    const sent = await harness.fake.waitForSent(3);
    expect(sent.slice(1).map((s) => [s.kind, s.content])).toEqual([
      ['original', `Denied ${id}: the command will not run.`],
      ['channel', 'Left it alone.'],
    ]);
    expect(harness.fake.calls.filter((c) => c.path.endsWith('/callback')).at(-1)?.body).toMatchObject({ type: 5 });
    // The question says how it was settled, its buttons gone.
    await vi.waitFor(() => expect(harness.fake.edits.map((edit) => edit.id)).toContain(question?.id));
    const settled = harness.fake.edits.find((edit) => edit.id === question?.id);
    expect(settled?.content).toMatch(/\n🚫 Denied by Ada\.$/);
    expect(settled?.body.components).toEqual([]);
  });

  it('answers "Ask Cairn" from a message\'s Apps menu about that message, its words and files, in the deferred reply', async () => {
    await setUp();
    const url = harness.fake.addFile('steps.txt', Buffer.from('1. build\n2. deploy to port 8080\n'));
    const bob = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    const target = messagePayload('700000000000000077', CHANNEL_ID, bob, 'Is this the right order?', {
      attachments: [{ id: '1', filename: 'steps.txt', size: 32, url, proxy_url: url, content_type: 'text/plain' }],
    });
    harness.fake.dispatch('INTERACTION_CREATE', {
      ...askUser('800000000000000011', 'menu-token-1', ''),
      data: { id: '901', name: 'Ask Cairn', type: 3, target_id: target.id, resolved: { messages: { [String(target.id)]: target } } },
    });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply?.kind).toBe('original');
    const asked = String(model.chatRequests()[0]?.messages.at(-1).content);
    expect(asked).toBe(
      '[In reply to a message by Bob: "Is this the right order?"]\n[file (steps.txt) in the message replied to; attachment #1]\n1. build\n2. deploy to port 8080\n[end of file (steps.txt) in the message replied to]',
    );
  });

  it('says in its health when Discord closed the gateway for good', async () => {
    await setUp();
    expect(harness.adapter.health()).toEqual({ ok: true });
    harness.fake.closeGateway(4014);
    await vi.waitFor(() => expect(harness.adapter.health().ok).toBe(false));
    expect(harness.adapter.health().problem).toBe(
      'Discord closed the gateway connection for good (4014): the Message Content intent is off; turn it on under Bot → Privileged Gateway Intents in the developer portal, then restart.',
    );
  });

  it('asks for approval in the answer of /ask, and edits it through the interaction once decided', async () => {
    await setUp({ DISCORD_ADMIN_USERS: USER.id, CAIRN_REFLECTION: 'off' });
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000031', 'approval-token-1', 'install it the quick way'));
    const [question] = await harness.fake.waitForSent(1);
    expect(question).toMatchObject({ kind: 'original' });
    expect(question?.body.components).toHaveLength(1);
    const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1] ?? '';
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, `/deny ${id}`), channel_type: 1 });
    await vi.waitFor(() => expect(harness.fake.edits.map((edit) => edit.id)).toContain(question?.id));
    const settled = harness.fake.edits.find((edit) => edit.id === question?.id);
    expect(settled?.content).toMatch(/\n🚫 Denied by Ada\.$/);
    expect(settled?.body.components).toEqual([]);
    expect(harness.fake.calls.find((call) => call.method === 'PATCH' && call.path.endsWith(`/messages/${question?.id}`))?.path).toContain('/webhooks/');
  });

  it('answers /ask by deferring, then editing the reply', async () => {
    await setUp();
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000001', 'interaction-token-1', 'what is up?'));
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply).toMatchObject({ kind: 'original', content: 'echo: what is up?' });
    const callbacks = harness.fake.calls.filter((c) => c.path.endsWith('/callback'));
    expect(callbacks[0]?.body).toMatchObject({ type: 5 });
  });

  it('sends a file the agent made with its caption, in a DM and in answer to /ask', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'fix.patch', content: '--- a\n+++ b\n', caption: 'The patch.' } }] }, { text: 'Sent fix.patch.' });
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, 'make a patch'), channel_type: 1 });
    const [file, answer] = await harness.fake.waitForSent(2);
    expect(file).toMatchObject({ kind: 'channel', channelId: DM_CHANNEL_ID, content: 'The patch.' });
    const [upload] = file?.body.files as { fileName: string; bytes: Buffer }[];
    expect(upload?.fileName).toBe('fix.patch');
    expect(upload?.bytes.toString()).toBe('--- a\n+++ b\n');
    expect(answer).toMatchObject({ kind: 'channel', content: 'Sent fix.patch.' });

    // A slash command: the file replaces the deferred "thinking…", the answer follows it up.
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'data.json', content: '{}' } }] }, { text: 'Here it is.' });
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000002', 'interaction-token-2', 'the data as JSON'));
    const [, , edited, followUp] = await harness.fake.waitForSent(4);
    expect(edited).toMatchObject({ kind: 'original', content: '' });
    expect((edited?.body.files as { fileName: string }[])[0]?.fileName).toBe('data.json');
    expect(followUp).toMatchObject({ kind: 'followup', content: 'Here it is.' });
  });

  it('answers a guild channel only when mentioned, replying to the message', async () => {
    await setUp();
    const quiet = harness.nextId();
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(quiet, CHANNEL_ID, USER, 'just chatting'), guild_id: GUILD_ID, member: { roles: [] } });
    const asked = harness.nextId();
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(asked, CHANNEL_ID, USER, `<@${BOT_USER.id}> hello bot`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply).toMatchObject({ kind: 'channel', channelId: CHANNEL_ID, content: 'echo: hello bot' });
    expect(reply?.body).toMatchObject({ message_reference: { message_id: asked }, allowed_mentions: { parse: [] } });
    expect(model.chatRequests()).toHaveLength(1);
  });

  it("answers a mention of the bot's own role (what Discord's @-picker often inserts for @Cairn), and not of another role", async () => {
    await setUp();
    // Discord gives a bot a managed role tagged with its id when it joins a server.
    const botRole = '500000000000000077';
    const otherRole = '500000000000000078';
    const role = (id: string, name: string, tags?: object) => ({ id, name, color: 0, hoist: false, position: 1, permissions: '0', managed: tags !== undefined, mentionable: true, flags: 0, ...(tags ? { tags } : {}) });
    harness.fake.dispatch('GUILD_ROLE_CREATE', { guild_id: GUILD_ID, role: role(botRole, 'Cairn', { bot_id: BOT_USER.id }) });
    harness.fake.dispatch('GUILD_ROLE_CREATE', { guild_id: GUILD_ID, role: role(otherRole, 'oncall') });
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), CHANNEL_ID, USER, `<@&${otherRole}> lunch?`, { mention_roles: [otherRole] }), guild_id: GUILD_ID, member: { roles: [] } });
    const asked = harness.nextId();
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(asked, CHANNEL_ID, USER, `<@&${botRole}> what is the deploy status?`, { mention_roles: [botRole] }), guild_id: GUILD_ID, member: { roles: [] } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply).toMatchObject({ channelId: CHANNEL_ID, content: 'echo: what is the deploy status?', body: { message_reference: { message_id: asked } } });
    expect(model.chatRequests()).toHaveLength(1);
  });

  it('shows the model the message a mention replies to, and takes a bare mention in reply as a question about it', async () => {
    await setUp();
    const bob = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    const original = messagePayload(harness.nextId(), CHANNEL_ID, bob, 'Is 2027 a prime number?');
    const reply = (text: string) => ({
      ...messagePayload(harness.nextId(), CHANNEL_ID, USER, text, { mentions: [BOT_USER], type: 19, message_reference: { message_id: original.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID }, referenced_message: original }),
      guild_id: GUILD_ID,
      member: { roles: [] },
    });
    harness.fake.dispatch('MESSAGE_CREATE', reply(`<@${BOT_USER.id}> is it?`));
    const [first] = await harness.fake.waitForSent(1);
    expect(first?.content).toBe('echo: [In reply to a message by Bob: "Is 2027 a prime number?"]\nis it?');
    harness.fake.dispatch('MESSAGE_CREATE', reply(`<@${BOT_USER.id}>`));
    const [, second] = await harness.fake.waitForSent(2);
    expect(second?.content).toBe('echo: [In reply to a message by Bob: "Is 2027 a prime number?"]');
  });

  it('reads a thread before a mention in it, since Cairn last spoke there', async () => {
    await setUp();
    const bob = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    harness.fake.addChannelMessage(messagePayload('610000000000000001', THREAD_ID, BOT_USER, 'An earlier answer.'));
    harness.fake.addChannelMessage(messagePayload('610000000000000002', THREAD_ID, bob, 'The API returns 502 since noon.'));
    harness.fake.addChannelMessage(messagePayload('610000000000000003', THREAD_ID, USER, 'Only on /export, it seems.'));
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000004', THREAD_ID, USER, `<@${BOT_USER.id}> any idea?`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply?.content).toBe('echo: [Earlier in this thread:\nBob: The API returns 502 since noon.\nAda: Only on /export, it seems.]\nany idea?');
    expect(reply?.channelId).toBe(THREAD_ID);
  });

  it('keeps a thread a conversation of its own; folded into its channel (channelSessions: channel), a mention in it is answered there while people talk in the channel', async () => {
    await setUp();
    const thread = (id: string, text: string) => ({ ...messagePayload(id, THREAD_ID, USER, `<@${BOT_USER.id}> ${text}`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    harness.fake.dispatch('MESSAGE_CREATE', thread('610000000000000001', 'first'));
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000009', CHANNEL_ID, USER, `<@${BOT_USER.id}> second`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    await harness.fake.waitForSent(2);
    expect(cairn.db.prepare('SELECT conversation_id FROM sessions ORDER BY conversation_id').pluck().all()).toEqual([`discord:${GUILD_ID}:${CHANNEL_ID}`, `discord:${GUILD_ID}:${THREAD_ID}`]);
    await harness.stop();
    await cairn.close();

    const gated = new GatedModel();
    const config = testConfig(model.url, { ...(await harness.env()), DISCORD_ALLOWED_USERS: `${USER.id},${BOB.id}` });
    cairn = startTestCairn({ ...config, platforms: { ...config.platforms, discord: { ...config.platforms.discord, channelSessions: 'channel' } } }, { model: gated });
    await harness.start(cairn);
    harness.fake.dispatch('MESSAGE_CREATE', thread('610000000000000002', 'any idea?'));
    await gated.until(1);
    // Bob chats in the channel, whose session the thread shares, without asking Cairn; then asks.
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000003', CHANNEL_ID, BOB, 'lunch anyone?'), guild_id: GUILD_ID, member: { roles: [] } });
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000004', CHANNEL_ID, BOB, `<@${BOT_USER.id}> and the deploy?`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    await vi.waitFor(() => expect(harness.delivered).toBe(3));
    gated.release();
    await gated.until(2);
    gated.release();
    const sent = await harness.fake.waitForSent(2);
    expect(sent.map((reply) => [reply.content, reply.channelId])).toEqual([
      ['re: any idea?', THREAD_ID],
      ['re: and the deploy?', CHANNEL_ID],
    ]);
  });

  it('reads the file of the message a mention replies to', async () => {
    await setUp();
    const bob = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    const url = harness.fake.addFile('todo.md', Buffer.from('- ship it\n'));
    const file = { id: '700000000000000009', filename: 'todo.md', size: 10, url, proxy_url: url, content_type: 'text/markdown' };
    const original = messagePayload(harness.nextId(), CHANNEL_ID, bob, '', { attachments: [file] });
    harness.fake.dispatch('MESSAGE_CREATE', {
      ...messagePayload(harness.nextId(), CHANNEL_ID, USER, `<@${BOT_USER.id}> what is left?`, { mentions: [BOT_USER], type: 19, message_reference: { message_id: original.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID }, referenced_message: original }),
      guild_id: GUILD_ID,
      member: { roles: [] },
    });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('what is left?\n\n[file (todo.md) in the message replied to; attachment #1]\n- ship it\n[end of file (todo.md) in the message replied to]');
  });

  it('reads a thread new to Cairn from the message it was started on', async () => {
    await setUp();
    const bob = { id: '400000000000000002', username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    // The thread was started on a message of its channel: that message has the thread's id.
    harness.fake.addChannelMessage(messagePayload(THREAD_ID, CHANNEL_ID, bob, 'Why is the build slow today?'));
    harness.fake.addChannelMessage(messagePayload('610000000000000002', THREAD_ID, USER, 'The cache is cold, I think.'));
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000003', THREAD_ID, USER, `<@${BOT_USER.id}> is it?`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply?.content).toBe('echo: [Earlier in this thread:\nBob: Why is the build slow today?\nAda: The cache is cold, I think.]\nis it?');
  });

  it('answers a DM of only an image that it cannot open it, and tells the model of one with text', async () => {
    await setUp();
    const image = { id: '700000000000000001', filename: 'plot.png', size: 10, url: 'https://cdn.example/plot.png', proxy_url: 'https://cdn.example/plot.png', content_type: 'image/png' };
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, '', { attachments: [image] }), channel_type: 1 });
    const [alone] = await harness.fake.waitForSent(1);
    expect(alone?.content).toBe("I can't open an image (plot.png). I read messages, text files, PDFs and Office files (Word, Excel, PowerPoint, OpenDocument): tell me in words what you need, or paste the text.");
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, 'is this trend real?', { attachments: [image] }), channel_type: 1 });
    await harness.fake.waitForSent(2);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toContain('is this trend real?\n\n[The message also carried an image (plot.png), which you cannot see or open.');
  });

  it('transcribes a voice message (an audio attachment) with CAIRN_TRANSCRIBE_MODEL', async () => {
    await setUp({ CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
    const url = harness.fake.addFile('voice-message.ogg', Buffer.from('OggS voice'));
    const voice = { id: '700000000000000002', filename: 'voice-message.ogg', size: 10, url, proxy_url: url, content_type: 'audio/ogg', duration_secs: 2 };
    model.enqueueTranscription({ text: 'remind me about the release notes' });
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, '', { attachments: [voice], flags: 8192 }), channel_type: 1 });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('[voice message, transcribed] remind me about the release notes');
    expect(model.transcriptionRequests()).toEqual([{ model: 'whisper-1', fileName: 'voice-message.ogg' }]);
  });

  it('reads a text attachment, and says so when its CDN link fails', async () => {
    await setUp();
    const url = harness.fake.addFile('config.yaml', Buffer.from('port: 8080\nhost: 0.0.0.0\n'));
    const yaml = { id: '700000000000000003', filename: 'config.yaml', size: 26, url, proxy_url: url, content_type: 'application/x-yaml' };
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, 'is this right?', { attachments: [yaml] }), channel_type: 1 });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('is this right?\n\n[file (config.yaml); attachment #1]\nport: 8080\nhost: 0.0.0.0\n[end of file (config.yaml)]');

    const gone = { ...yaml, id: '700000000000000004', filename: 'gone.yaml', url: url.replace('config', 'gone'), proxy_url: url.replace('config', 'gone') };
    harness.fake.dispatch('MESSAGE_CREATE', { ...messagePayload(harness.nextId(), DM_CHANNEL_ID, USER, '', { attachments: [gone] }), channel_type: 1 });
    const [, failed] = await harness.fake.waitForSent(2);
    expect(failed?.content).toBe("I couldn't read your file (gone.yaml): Discord answered HTTP 404 for the file. Paste the part that matters as text.");
    expect(model.chatRequests()).toHaveLength(1);
  });

  it('turns 👍 on a reply into feedback on that task', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    harness.dm('time?');
    const [reply] = await harness.fake.waitForSent(1);
    await cairn.learning.idle();
    harness.fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: DM_CHANNEL_ID, message_id: reply!.id, emoji: { id: null, name: '👍' }, burst: false, type: 0 });
    await harness.fake.waitForSent(2);
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ feedback: 'good', outcome: 'success', outcomeSource: 'feedback' });
  });

  it('takes 👎 on an older reply as feedback on the turn that sent it, not on the latest task', async () => {
    await setUp();
    model.enqueue({ text: 'Paris.' }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    harness.dm('capital of France?');
    const [older] = await harness.fake.waitForSent(1);
    harness.dm('time?');
    await harness.fake.waitForSent(2);
    await cairn.learning.idle();
    const react = (messageId: string, emoji: string) =>
      harness.fake.dispatch('MESSAGE_REACTION_ADD', { user_id: USER.id, channel_id: DM_CHANNEL_ID, message_id: messageId, emoji: { id: null, name: emoji }, burst: false, type: 0 });
    react(older!.id, '👎');
    const [, newer, thanks] = await harness.fake.waitForSent(3);
    await cairn.learning.idle();
    const [judged, latest] = cairn.learning.tasks.recent(2);
    expect([judged?.request, judged?.feedback, judged?.outcome]).toEqual(['capital of France?', 'bad', 'failure']);
    expect([latest?.request, latest?.feedback]).toEqual(['time?', undefined]);

    // A reaction on the thanks is about nothing: no answer, and the next one is the newer reply's.
    react(thanks!.id, '👍');
    react(newer!.id, '👍');
    const sent = await harness.fake.waitForSent(4);
    expect(sent[3]?.content).toBe('Thanks! Noted that this worked.');
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(2).map((task) => task.feedback)).toEqual(['bad', 'good']);
  });

  /** Queues a streamed answer: `first`, then `rest` once the returned function is called. */
  function streamed(first: string, rest: string): () => void {
    let release!: () => void;
    model.enqueue({ stream: [first, new Promise<void>((resolve) => (release = resolve)), rest] });
    return () => release();
  }

  it('streams an answer into one message edited as it grows, and posts it anew when that message was deleted', async () => {
    await setUp();
    const rest = streamed('Working on **it**', ' and done.');
    harness.dm('go');
    (await harness.timers.next(1_200)).fire();
    const [draft] = await harness.fake.waitForSent(1);
    expect(draft).toMatchObject({ kind: 'channel', channelId: DM_CHANNEL_ID, content: 'Working on **it**' });
    rest();
    await harness.fake.waitForCall('PATCH', /^\/channels\/\d+\/messages\/\d+$/);
    expect(harness.fake.contentOf(draft!.id)).toBe('Working on **it** and done.');
    expect(harness.fake.edits.at(-1)?.body).toMatchObject({ allowed_mentions: { parse: [] } });

    const again = streamed('Second', ' answer.');
    harness.dm('more');
    (await harness.timers.next(1_200)).fire();
    const [, second] = await harness.fake.waitForSent(2);
    harness.fake.deleteMessage(second!.id);
    again();
    const [, , anew] = await harness.fake.waitForSent(3);
    expect(anew).toMatchObject({ kind: 'channel', content: 'Second answer.' });
  });

  it('sends the answer of a long streamed turn as a new message and deletes its draft; /ask keeps its deferred reply', async () => {
    await setUp();
    const rest = streamed('Looking into it.', ' Found it.');
    harness.dm('why is the site down?');
    (await harness.timers.next(1_200)).fire();
    const [draft] = await harness.fake.waitForSent(1);
    harness.now += 45_000;
    rest();
    const [, answer] = await harness.fake.waitForSent(2);
    expect(answer).toMatchObject({ kind: 'channel', channelId: DM_CHANNEL_ID, content: 'Looking into it. Found it.' });
    expect(harness.fake.removed).toEqual([draft!.id]);

    const more = streamed('Checking', ' the logs.');
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000021', 'long-token-1', 'and now?'));
    (await harness.timers.next(1_200)).fire();
    await harness.fake.waitForSent(3);
    harness.now += 45_000;
    more();
    await harness.fake.waitForCall('PATCH', /^\/webhooks\/\d+\/long-token-1\/messages\/(?:@|%40)original$/, 2);
    expect(harness.fake.removed).toHaveLength(1);
  });

  it('streams the answer to /ask in its deferred reply', async () => {
    await setUp();
    const rest = streamed('Thinking', ' aloud.');
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000003', 'interaction-token-3', 'think'));
    (await harness.timers.next(1_200)).fire();
    const [draft] = await harness.fake.waitForSent(1);
    expect(draft).toMatchObject({ kind: 'original', content: 'Thinking' });
    rest();
    const [, answer] = await harness.fake.waitForSent(2);
    expect(answer).toMatchObject({ kind: 'original', content: 'Thinking aloud.' });
    harness.dm('next');
    await harness.fake.waitForSent(3);
    expect(harness.fake.sent.map((m) => m.kind)).toEqual(['original', 'original', 'channel']);
  });

  it('streams an /ask answer below a file it sent, and follows up anew when that draft was deleted', async () => {
    await setUp();
    let release!: () => void;
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'a.txt', content: 'A' } }] }, { stream: ['Sent', new Promise<void>((resolve) => (release = resolve)), ' a.txt.'] });
    harness.fake.dispatch('INTERACTION_CREATE', askUser('800000000000000004', 'interaction-token-4', 'a file'));
    (await harness.timers.next(1_200)).fire();
    const [file, draft] = await harness.fake.waitForSent(2);
    expect([file?.kind, draft?.kind, draft?.content]).toEqual(['original', 'followup', 'Sent']);
    harness.fake.deleteMessage(draft!.id);
    release();
    const [, , answer] = await harness.fake.waitForSent(3);
    expect(answer).toMatchObject({ kind: 'followup', content: 'Sent a.txt.' });
  });

  it('shows typing and posts one progress note on a long turn', async () => {
    await setUp({ CAIRN_SHUTDOWN_GRACE_MS: '10' });
    model.enqueue({ hang: true });
    harness.dm('slow question');
    await harness.fake.waitForCall('POST', /\/typing$/);
    (await harness.timers.next(20_000)).fire();
    const [note] = await harness.fake.waitForSent(1);
    expect(note?.content).toBe('Still working on it…');
  });
});

describe('discord uploads', () => {
  it('gives a file on a slow uplink the time it takes, where other calls keep their short limit', async () => {
    // Each message with files takes 400 ms to be answered; every other call is limited to 150 ms.
    const fake = await startFakeDiscord({ uploadMs: 400 });
    const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: fake.apiUrl });
    const adapter = new DiscordAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }, { restTimeoutMs: 150, uploadTimeoutMs: 5_000 });
    try {
      await adapter.start(async () => {});
      await adapter.send(`discord:${GUILD_ID}:${CHANNEL_ID}`, { text: 'The report.', files: [{ name: 'report.csv', bytes: new Uint8Array(Buffer.from('a,b\n1,2\n')) }] });
      const uploads = fake.sent.filter((message) => Array.isArray(message.body.files));
      expect(uploads.map((message) => message.content)).toEqual(['The report.']);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });
});

describe('discord through cairn start', () => {
  it('says how to add a bot that is in no server yet', async () => {
    const fake = await startFakeDiscord({ inNoServer: true });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: fake.apiUrl });
    const adapter = new DiscordAdapter({ config, http: new HttpServer(), logger, commands: new CommandRegistry(), sleep: async () => {} });
    try {
      await adapter.start(async () => {});
      const warning = lines.map((line) => JSON.parse(line) as { msg: string; invite?: string }).find((entry) => entry.msg.startsWith('Discord: the bot is in no server yet'));
      expect(warning?.invite).toBe(`https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot+applications.commands&permissions=274878008320`);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });

  it('loads the adapter the real way and finishes a turn in flight at shutdown', async () => {
    const model = await startFakeModelServer();
    const fake = await startFakeDiscord();
    const config = testConfig(model.url, { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: USER.id, CAIRN_HTTP_PORT: '0' });
    const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
    try {
      await fake.waitForCall('PUT', /^\/applications\/\d+\/commands$/);
      model.enqueue({ delayMs: 50, then: { text: 'answered during shutdown' } });
      fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000001', DM_CHANNEL_ID, USER, 'hi'), channel_type: 1 });
      while (model.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await running.stop();
      expect(fake.sent.map((m) => m.content)).toEqual(['answered during shutdown']);
    } finally {
      await running.stop();
      await fake.close();
      await model.close();
    }
  });
});

/** The Telegram adapter: the real grammY against a fake Bot API, wired to a real Cairn. */
import { makePdf } from '../helpers/pdf.js';
import { makeDocx } from '../helpers/office.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adapterContract, type ContractHarness, type SendFailure } from './contract.js';
import { BOT, startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DRAFT_REFRESH_MS } from '../../adapters/telegram/drafts.js';
import { botDescriptions, describeBot } from '../../adapters/telegram/profile.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { CONFLICT_RETRY_MS } from '../../adapters/telegram/polling.js';
import { ALBUM, SPLIT_TEXT } from '../../adapters/telegram/gathering.js';
import { markdownToHtml, renderParts } from '../../adapters/telegram/render.js';
import { isMarkupRejection, mapTelegramError } from '../../adapters/telegram/errors.js';
import { chatIdOf, normalizeMessage, topicOf } from '../../adapters/telegram/normalize.js';
import { watchPolling } from '../../adapters/telegram/polling-watch.js';
import { Api, GrammyError, HttpError } from 'grammy';
import { HttpServer } from '../../src/http/server.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { startCairn } from '../../src/cli/start.js';
import { CommandRegistry } from '../../src/core/commands.js';
import type { CairnError } from '../../src/core/errors.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

/** What the user sees: HTML tags gone, entities decoded. */
function visible(body: Record<string, unknown>): string {
  const text = String(body.text ?? '');
  if (body.parse_mode !== 'HTML') return text;
  return text.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

class TelegramHarness implements ContractHarness {
  readonly maxMessageLength = 4096;
  fake!: FakeTelegram;
  adapter!: TelegramAdapter;
  private readonly waits: number[] = [];
  private readonly events = new Map<string, number>();
  private messageId = 1;
  readonly timers = new ManualTimers();
  /** The adapter's clock, moved by hand (how long a draft has shown). */
  now = 1_700_000_000_000;

  async env() {
    this.fake = await startFakeTelegram();
    return { TELEGRAM_BOT_TOKEN: this.fake.token, TELEGRAM_API_ROOT: this.fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(USER.id) };
  }

  async start(cairn: TestCairn) {
    this.adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async (ms) => void this.waits.push(ms) }, { timer: this.timers.timer, now: () => this.now });
    cairn.gateway.attach(this.adapter);
    await this.adapter.start(cairn.gateway.receive);
  }

  message(text: string, extra: Record<string, unknown> = {}) {
    return { message_id: this.messageId++, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text, ...extra };
  }

  async deliverDirect(text: string, options: { eventId?: string } = {}) {
    const known = options.eventId ? this.events.get(options.eventId) : undefined;
    if (known !== undefined) return this.fake.redeliver(known);
    const id = this.fake.pushUpdate({ message: this.message(text) });
    if (options.eventId) this.events.set(options.eventId, id);
  }

  async deliverOwn(text: string) {
    this.fake.pushUpdate({ message: this.message(text, { from: BOT }) });
  }

  async replies(count: number) {
    return (await this.fake.waitForSent(count)).map(visible);
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

adapterContract('telegram', () => new TelegramHarness());

describe('telegram end to end', () => {
  let model: FakeModelServer;
  let harness: TelegramHarness;
  let cairn: TestCairn;

  async function setUp(env: Record<string, string> = {}) {
    model = await startFakeModelServer();
    harness = new TelegramHarness();
    cairn = startTestCairn(testConfig(model.url, { ...(await harness.env()), ...env }));
    await harness.start(cairn);
  }

  afterEach(async () => {
    await harness.stop();
    await cairn.close();
    await model.close();
  });

  it('registers its commands, answers a DM with HTML, and shows typing', async () => {
    await setUp();
    model.enqueue({ text: 'Use **bold** and `code`.' });
    harness.fake.pushUpdate({ message: harness.message('format please') });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply).toMatchObject({ chat_id: USER.id, parse_mode: 'HTML', text: 'Use <b>bold</b> and <code>code</code>.' });
    const commands = harness.fake.callsTo('setMyCommands')[0]?.commands as { command: string }[];
    expect(commands.map((c) => c.command)).toEqual(expect.arrayContaining(['new', 'help', 'link', 'memory', 'skills', 'feedback']));
    expect(commands.map((c) => c.command)).not.toContain('start');
    // What Telegram shows before anyone writes, filled in where empty.
    const { description, short } = botDescriptions('Cairn');
    expect(harness.fake.profile).toEqual({ description, short_description: short });
    expect(description.length).toBeLessThanOrEqual(512);
    expect(harness.fake.callsTo('sendChatAction')[0]).toMatchObject({ chat_id: USER.id, action: 'typing' });
  });

  it("keeps a description the operator set in @BotFather", async () => {
    const fake = await startFakeTelegram();
    try {
      fake.profile.description = 'Our team bot. Ask about deploys.';
      await describeBot(new Api(fake.token, { apiRoot: fake.apiRoot }), 'Cairn', silentLogger);
      expect(fake.profile).toEqual({ description: 'Our team bot. Ask about deploys.', short_description: botDescriptions('Cairn').short });
      expect(fake.callsTo('setMyDescription')).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('greets someone who opens the chat (/start, with a deep link payload), without asking the model', async () => {
    await setUp();
    harness.fake.pushUpdate({ message: harness.message('/start ref-42', { entities: [{ type: 'bot_command', offset: 0, length: 6 }] }) });
    const [hello] = await harness.fake.waitForSent(1);
    expect(visible(hello!)).toMatch(/^Hi! I'm Cairn, an AI assistant that gets better as we work together\.\n/);
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('answers in a group only when mentioned, replied to, or commanded, quoting the question', async () => {
    await setUp();
    const group = { chat: { id: -100, type: 'supergroup' } };
    harness.fake.pushUpdate({ message: harness.message('just chatting', group) });
    harness.fake.pushUpdate({ message: harness.message('@cairn_bot what is up?', { ...group, entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply).toMatchObject({ chat_id: -100, text: 'echo: what is up?', reply_parameters: { message_id: 2 } });
    harness.fake.pushUpdate({ message: harness.message('and this?', { ...group, reply_to_message: { message_id: 1000, from: BOT } }) });
    harness.fake.pushUpdate({ message: harness.message('/help@other_bot', group) });
    harness.fake.pushUpdate({ message: harness.message('/new@cairn_bot', group) });
    const replies = await harness.fake.waitForSent(3);
    expect(replies.map(visible).slice(1)).toEqual(['echo: and this?', 'Started a new conversation.']);
    // Two turns reached the agent (memory extraction after /new also asks the model, not as the agent).
    expect(model.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You are Cairn'))).toHaveLength(2);
  });

  it('runs a command written after the mention (@cairn_bot /new), and leaves a bare /word in a group that is none of its commands', async () => {
    await setUp();
    const group = { chat: { id: -100, type: 'supergroup' } };
    harness.fake.pushUpdate({ message: harness.message('/tmp is full again, anyone?', group) });
    harness.fake.pushUpdate({ message: harness.message('@cairn_bot /new', { ...group, entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    const [reply] = await harness.fake.waitForSent(1);
    // The first had no answer ("Unknown command" and the help went to the whole group).
    expect(visible(reply!)).toMatch(/new conversation\.$/);
    harness.fake.pushUpdate({ message: harness.message('/help', group) });
    const replies = await harness.fake.waitForSent(2);
    expect(visible(replies[1]!)).toContain('/new');
    expect(model.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You are Cairn'))).toHaveLength(0);
  });

  it('shows the model the message a question replies to, or the part of it quoted', async () => {
    await setUp();
    const group = { chat: { id: -100, type: 'supergroup' }, entities: [{ type: 'mention', offset: 0, length: 10 }] };
    const bob = { id: 7, is_bot: false, first_name: 'Bob', username: 'bob' };
    harness.fake.pushUpdate({ message: harness.message('@cairn_bot is this right?', { ...group, reply_to_message: { message_id: 50, date: 1, chat: group.chat, from: bob, text: 'The deploy uses port 8080.' } }) });
    const [first] = await harness.fake.waitForSent(1);
    expect(visible(first!)).toBe('echo: [In reply to a message by @bob: "The deploy uses port 8080."]\nis this right?');
    const quoted = { reply_to_message: { message_id: 51, date: 1, chat: group.chat, from: bob, text: 'Long notes. Port 8080 is open. More notes.' }, quote: { text: 'Port 8080 is open.', position: 12 } };
    harness.fake.pushUpdate({ message: harness.message('@cairn_bot why?', { ...group, ...quoted }) });
    const [, second] = await harness.fake.waitForSent(2);
    expect(visible(second!)).toBe('echo: [In reply to a message by @bob: "Port 8080 is open."]\nwhy?');
  });

  it('reads the file of the message a question replies to', async () => {
    await setUp();
    harness.fake.addFile('doc-1', Buffer.from('Q3 revenue: 1.2 M EUR\nQ4 revenue: 1.5 M EUR\n'));
    const bob = { id: 7, is_bot: false, first_name: 'Bob', username: 'bob' };
    const group = { chat: { id: -100, type: 'supergroup' }, entities: [{ type: 'mention', offset: 0, length: 10 }] };
    const replied = { message_id: 50, date: 1, chat: group.chat, from: bob, caption: 'the numbers', document: { file_id: 'doc-1', file_name: 'numbers.txt', mime_type: 'text/plain', file_size: 44 } };
    harness.fake.pushUpdate({ message: harness.message('@cairn_bot summarize', { ...group, reply_to_message: replied }) });
    await harness.fake.waitForSent(1);
    const asked = (model.chatRequests()[0]?.messages as { role: string; content: string }[]).at(-1)?.content;
    expect(asked).toBe('[In reply to a message by @bob: "the numbers"]\nsummarize\n\n[file (numbers.txt) in the message replied to; attachment #1]\nQ3 revenue: 1.2 M EUR\nQ4 revenue: 1.5 M EUR\n[end of file (numbers.txt) in the message replied to]');
  });

  it("says it cannot open a photo sent alone, and tells the model about one sent with a caption", async () => {
    await setUp();
    const photo = [{ file_id: 'p1', file_unique_id: 'u1', width: 90, height: 90 }];
    // A message without text, as Telegram sends a photo (each with its own message id).
    const withoutText = () => {
      const { text: _none, ...rest } = harness.message('');
      return rest;
    };
    harness.fake.pushUpdate({ message: { ...withoutText(), photo } });
    const [alone] = await harness.fake.waitForSent(1);
    expect(alone?.text).toBe("I can't open a photo. I read messages, text files, PDFs and Office files (Word, Excel, PowerPoint, OpenDocument): tell me in words what you need, or paste the text.");
    expect(model.chatRequests()).toHaveLength(0);

    harness.fake.pushUpdate({ message: { ...withoutText(), caption: 'what does this chart show?', photo, document: { file_name: 'q3.pdf', mime_type: 'application/pdf' } } });
    await harness.fake.waitForSent(2);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe(
      'what does this chart show?\n\n[The message also carried a photo and a file (q3.pdf), which you cannot see or open. If the request depends on it, say so and ask for the content as text.]',
    );
  });

  it('polls again after a conflict with another process; a revoked token stops it, and health says so', async () => {
    await setUp();
    harness.fake.refusePolling('conflict');
    await vi.waitFor(() => expect(harness.adapter.health().problem).toMatch(/^Another process polls Telegram with this bot token/));
    // Passing (a redeploy's old instance): no reason to restart Cairn.
    expect(harness.adapter.health().ok).toBe(true);
    harness.fake.refusePolling(undefined);
    (await harness.timers.next(CONFLICT_RETRY_MS)).fire();
    harness.fake.pushUpdate({ message: harness.message('still there?') });
    expect(visible((await harness.fake.waitForSent(1))[0]!)).toBe('echo: still there?');
    expect(harness.adapter.health()).toEqual({ ok: true });

    harness.fake.refusePolling('unauthorized');
    await vi.waitFor(() => expect(harness.adapter.health().ok).toBe(false));
    expect(harness.adapter.health().problem).toBe('Long polling stopped: Telegram refused the bot token: check TELEGRAM_BOT_TOKEN.');
  });

  it('puts Approve and Deny buttons under an approval request; a press answers it as the one who pressed', async () => {
    await setUp({ TELEGRAM_ADMIN_USERS: String(USER.id), CAIRN_REFLECTION: 'off' });
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
    harness.fake.pushUpdate({ message: harness.message('install it the quick way') });
    const [question] = await harness.fake.waitForSent(1);
    const id = /\/approve (\w+)/.exec(visible(question!))?.[1] ?? '';
    expect(question?.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Approve', callback_data: `/approve ${id}` }, { text: 'Deny', callback_data: `/deny ${id}` }]] });

    const press = { id: 'press-1', from: USER, chat_instance: 'ci-1', data: `/deny ${id}`, message: { message_id: 5, date: 1, chat: { id: USER.id, type: 'private' }, text: 'the question' } };
    harness.fake.pushUpdate({ callback_query: press });
    const sent = await harness.fake.waitForSent(3);
    expect(sent.slice(1).map(visible)).toEqual([`Denied ${id}: the command will not run.`, 'Left it alone.']);
    expect(harness.fake.callsTo('answerCallbackQuery')[0]).toMatchObject({ callback_query_id: 'press-1' });
    // The question now says how it was settled; an edit without reply_markup takes the keyboard away.
    await vi.waitFor(() => expect(harness.fake.edits).toHaveLength(1));
    expect(String(harness.fake.edits[0]?.text)).toMatch(/rm|curl/);
    expect(String(harness.fake.edits[0]?.text)).toMatch(/\n🚫 Denied by @ada\.$/);
    expect(String(harness.fake.edits[0]?.text)).not.toContain('/approve');
    expect(harness.fake.edits[0]).not.toHaveProperty('reply_markup');
    // The same press delivered again changes nothing: the next message's answer is the next thing sent.
    harness.fake.pushUpdate({ callback_query: press });
    harness.fake.pushUpdate({ message: harness.message('thanks') });
    const after = await harness.fake.waitForSent(4);
    expect(visible(after[3]!)).toBe('echo: thanks');
    await harness.fake.waitFor('answerCallbackQuery', 2);
    expect(harness.fake.sent).toHaveLength(4);
  });

  it('takes an album (photos sent together, one message each) as one message', async () => {
    await setUp();
    const { text: _none, ...base } = harness.message('');
    const item = (id: number, extra: Record<string, unknown> = {}) => ({ ...base, message_id: 100 + id, media_group_id: 'album-1', photo: [{ file_id: `p${id}`, file_unique_id: `u${id}`, width: 90, height: 90 }], ...extra });
    harness.fake.pushUpdate({ message: item(1, { caption: 'which of these is sharpest?' }) });
    harness.fake.pushUpdate({ message: item(2) });
    harness.fake.pushUpdate({ message: item(3) });
    // Each message of the album puts off its completion; the last wait ends it.
    await vi.waitFor(() => expect(harness.timers.scheduled.filter((timer) => timer.ms === ALBUM.waitMs)).toHaveLength(3));
    expect(model.chatRequests()).toHaveLength(0);
    (await harness.timers.next(ALBUM.waitMs)).fire();
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()).toHaveLength(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe(
      'which of these is sharpest?\n\n[The message also carried 3 photos, which you cannot see or open. If the request depends on it, say so and ask for the content as text.]',
    );

    // Words sent right after an album, before it was complete, ask about it; a command comes after it.
    harness.fake.pushUpdate({ message: item(4, { media_group_id: 'album-3' }) });
    harness.fake.pushUpdate({ message: harness.message('what is in these two?') });
    harness.fake.pushUpdate({ message: item(5, { media_group_id: 'album-3' }) });
    harness.fake.pushUpdate({ message: harness.message('/usage') });
    const sent = await harness.fake.waitForSent(3);
    expect(model.chatRequests()).toHaveLength(2);
    expect(model.chatRequests()[1]?.messages.at(-1).content).toBe(
      'what is in these two?\n\n[The message also carried 2 photos, which you cannot see or open. If the request depends on it, say so and ask for the content as text.]',
    );
    expect(visible(sent[2]!)).toMatch(/^Today/);
  });

  it('answers an album in a group when its caption mentions Cairn, reading the message it replies to once', async () => {
    await setUp();
    harness.fake.addFile('doc-1', Buffer.from('Option A: blue. Option B: green.'));
    const bob = { id: 7, is_bot: false, first_name: 'Bob', username: 'bob' };
    const chat = { id: -100, type: 'supergroup' };
    const replied = { message_id: 50, date: 1, chat, from: bob, caption: 'the options', document: { file_id: 'doc-1', file_name: 'options.txt', mime_type: 'text/plain', file_size: 32 } };
    const { text: _none, ...base } = harness.message('', { chat, reply_to_message: replied });
    const item = (id: number, extra: Record<string, unknown> = {}) => ({ ...base, message_id: 200 + id, media_group_id: 'album-2', photo: [{ file_id: `g${id}`, file_unique_id: `v${id}`, width: 90, height: 90 }], ...extra });
    harness.fake.pushUpdate({ message: item(1, { caption: '@cairn_bot which fits?', caption_entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    harness.fake.pushUpdate({ message: item(2) });
    await vi.waitFor(() => expect(harness.timers.scheduled.filter((timer) => timer.ms === ALBUM.waitMs)).toHaveLength(2));
    (await harness.timers.next(ALBUM.waitMs)).fire();
    const [reply] = await harness.fake.waitForSent(1);
    // The answer quotes the album's first message, which holds the question.
    expect(reply).toMatchObject({ chat_id: -100, reply_parameters: { message_id: 201 } });
    const asked = String(model.chatRequests()[0]?.messages.at(-1).content);
    expect(asked).toBe(
      '[In reply to a message by @bob: "the options"]\nwhich fits?\n\n[file (options.txt) in the message replied to; attachment #1]\nOption A: blue. Option B: green.\n[end of file (options.txt) in the message replied to]\n\n[The message also carried 2 photos, which you cannot see or open. If the request depends on it, say so and ask for the content as text.]',
    );
  });

  it('takes a long text that the app split into several messages as one', async () => {
    await setUp();
    model.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    const first = 'a'.repeat(4_096);
    const second = `${'b'.repeat(3_990)} end.`;
    harness.fake.pushUpdate({ message: harness.message(first) });
    harness.fake.pushUpdate({ message: harness.message(second) });
    // A short part is the last: the text goes on without waiting.
    harness.fake.pushUpdate({ message: harness.message('What is wrong here?') });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()).toHaveLength(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe(`${first}\n${second}\nWhat is wrong here?`);

    // A long text nothing follows goes on after a moment, alone; a command from the sender waits behind it.
    harness.fake.pushUpdate({ message: harness.message('c'.repeat(3_600)) });
    await vi.waitFor(() => expect(harness.timers.active()).toContain(SPLIT_TEXT.waitMs));
    (await harness.timers.next(SPLIT_TEXT.waitMs)).fire();
    await harness.fake.waitForSent(2);
    expect(model.chatRequests()[1]?.messages.at(-1).content).toBe('c'.repeat(3_600));
    harness.fake.pushUpdate({ message: harness.message('d'.repeat(3_600)) });
    harness.fake.pushUpdate({ message: harness.message('/usage') });
    const sent = await harness.fake.waitForSent(4);
    expect(sent.map(visible).slice(0, 3)).toEqual(['one', 'two', 'three']);
    expect(visible(sent[3]!)).toMatch(/^Today/);

    // An album after a long text: the text goes first.
    harness.fake.pushUpdate({ message: harness.message('e'.repeat(3_600)) });
    const { text: _none, ...base } = harness.message('');
    harness.fake.pushUpdate({ message: { ...base, media_group_id: 'album-9', caption: 'and this', photo: [{ file_id: 'p9', file_unique_id: 'u9', width: 9, height: 9 }] } });
    (await harness.timers.next(ALBUM.waitMs)).fire();
    await vi.waitFor(() => expect(model.chatRequests()).toHaveLength(5));
    expect(model.chatRequests().slice(-2).map((request) => String(request.messages.at(-1).content).slice(0, 8))).toEqual(['eeeeeeee', 'and this']);
  });

  it('transcribes a voice message with CAIRN_TRANSCRIBE_MODEL, and says so when it cannot', async () => {
    await setUp({ CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
    const voiceMessage = (fileId: string, caption?: string) => {
      const { text: _none, ...rest } = harness.message('');
      return { ...rest, voice: { file_id: fileId, duration: 2, mime_type: 'audio/ogg', file_size: 6 }, ...(caption ? { caption } : {}) };
    };
    harness.fake.addFile('v1', Buffer.from('OggS..'));
    model.enqueueTranscription({ text: 'book a table for two' }, { text: 'and a cake' }, { error: { status: 400, message: 'Audio file could not be decoded' } });

    harness.fake.pushUpdate({ message: voiceMessage('v1') });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('[voice message, transcribed] book a table for two');
    expect(model.transcriptionRequests()[0]).toEqual({ model: 'whisper-1', fileName: 'voice.ogg' });

    harness.fake.pushUpdate({ message: voiceMessage('v1', 'for tonight:') });
    await harness.fake.waitForSent(2);
    expect(model.chatRequests()[1]?.messages.at(-1).content).toBe('for tonight:\n\n[voice message, transcribed] and a cake');

    harness.fake.pushUpdate({ message: voiceMessage('v1') });
    const [, , failed] = await harness.fake.waitForSent(3);
    expect(failed?.text).toMatch(/^I couldn't make out your voice message: .*Audio file could not be decoded.*\. Please send it as text\.$/);
    // A recording longer than a message may be (a dictation) is shortened like a document and kept, not refused once transcribed.
    model.enqueueTranscription({ text: 'blah '.repeat(30_000) });
    harness.fake.pushUpdate({ message: voiceMessage('v1') });
    await harness.fake.waitForSent(4);
    expect(model.chatRequests()).toHaveLength(3);
    expect(model.chatRequests()[2]?.messages.at(-1).content).toMatch(/^\[voice message, transcribed, 149,999 characters, shortened to its start and end; attachment #\d+\]\nblah blah/);
  });

  it('names a voice message as unreadable without a transcription model', async () => {
    await setUp();
    const { text: _none, ...rest } = harness.message('');
    harness.fake.pushUpdate({ message: { ...rest, voice: { file_id: 'v2', duration: 1 } } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(reply?.text).toBe(
      "I can't open a voice message: listening to recordings needs a speech-to-text model, which whoever runs Cairn has not set (CAIRN_TRANSCRIBE_MODEL). I read messages, text files, PDFs and Office files (Word, Excel, PowerPoint, OpenDocument): tell me in words what you need, or paste the text.",
    );
  });

  it('says a file is over the 20 MB a bot may download, instead of leaving it out unnamed', async () => {
    await setUp({ CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
    const { text: _none, ...rest } = harness.message('');
    // Under what transcription takes (25 MB), over what Telegram hands a bot.
    harness.fake.pushUpdate({ message: { ...rest, audio: { file_id: 'a1', file_unique_id: 'ua1', duration: 1800, file_name: 'meeting.mp3', mime_type: 'audio/mpeg', file_size: 22 * 1024 * 1024 } } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(visible(reply!)).toMatch(/^I couldn't make out your audio file: it is over 20 MB, more than Telegram lets a bot download; send a smaller file or the part that matters\./);
    expect(harness.fake.callsTo('getFile')).toHaveLength(0);
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('reads a text document, a PDF and a Word document, and describes a photo with CAIRN_VISION_MODEL', async () => {
    await setUp({ CAIRN_VISION_MODEL: 'gpt-4o-mini' });
    const { text: _none, ...rest } = harness.message('');
    harness.fake.addFile('d1', Buffer.from('Traceback (most recent call last):\nKeyError: \'id\'\n'));
    harness.fake.addFile('p-large', Buffer.from('JPEG-bytes'));
    harness.fake.pushUpdate({ message: { ...rest, caption: 'why?', document: { file_id: 'd1', file_name: 'trace.txt', mime_type: 'text/plain', file_size: 48 } } });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe("why?\n\n[file (trace.txt); attachment #1]\nTraceback (most recent call last):\nKeyError: 'id'\n[end of file (trace.txt)]");

    model.enqueue({ text: 'A login form with the error "Invalid CSRF token".' });
    const photo = [
      { file_id: 'p-small', file_unique_id: 'u1', width: 90, height: 60 },
      { file_id: 'p-large', file_unique_id: 'u2', width: 1280, height: 853, file_size: 10 },
    ];
    harness.fake.pushUpdate({ message: { ...rest, message_id: 2, photo } });
    await harness.fake.waitForSent(2);
    // The largest size is what the vision model sees.
    const vision = model.chatRequests()[1];
    expect(vision?.model).toBe('gpt-4o-mini');
    expect(vision?.messages[1].content[1].image_url.url).toBe(`data:image/jpeg;base64,${Buffer.from('JPEG-bytes').toString('base64')}`);
    expect(model.chatRequests()[2]?.messages.at(-1).content).toBe('[photo, described by a vision model; attachment #2] A login form with the error "Invalid CSRF token".');

    harness.fake.addFile('pdf1', makePdf([['Order 5521 shipped on 2 Dec.']]));
    harness.fake.pushUpdate({ message: { ...rest, message_id: 3, document: { file_id: 'pdf1', file_name: 'order.pdf', mime_type: 'application/pdf' } } });
    await harness.fake.waitForSent(3);
    expect(model.chatRequests().at(-1)?.messages.at(-1).content).toBe('[file (order.pdf), the text of its page; attachment #3]\nOrder 5521 shipped on 2 Dec.\n[end of file (order.pdf)]');

    // Telegram gives a Word document's MIME type; Cairn reads its text.
    harness.fake.addFile('docx1', makeDocx(['Returns policy: 30 days.']));
    harness.fake.pushUpdate({ message: { ...rest, message_id: 4, document: { file_id: 'docx1', file_name: 'policy.docx', mime_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } } });
    await harness.fake.waitForSent(4);
    expect(model.chatRequests().at(-1)?.messages.at(-1).content).toBe('[file (policy.docx), its text; attachment #4]\nReturns policy: 30 days.\n[end of file (policy.docx)]');
  });

  it('sends a file the agent made as a document, with its caption, before the answer', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'totals.csv', content: 'month,total\nMay,12\n', caption: 'The totals **by month**.' } }] }, { text: 'I sent totals.csv.' });
    harness.fake.pushUpdate({ message: harness.message('send me the totals as CSV') });
    const [document, answer] = await harness.fake.waitForSent(2);
    expect(document).toMatchObject({ chat_id: String(USER.id), caption: 'The totals <b>by month</b>.', parse_mode: 'HTML', document: { fileName: 'totals.csv' } });
    expect((document?.document as { bytes: Buffer }).bytes.toString()).toBe('month,total\nMay,12\n');
    expect(visible(answer!)).toBe('I sent totals.csv.');
    const toolResult = (model.chatRequests()[1]?.messages as { role: string; content: string }[]).find((message) => message.role === 'tool');
    expect(toolResult?.content).toBe('Sent totals.csv (19 bytes) into the conversation.');
  });

  it('sends a picture as a photo, and as a document when Telegram cannot take it as one', async () => {
    await setUp();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2dd3a5c0000000049454e44ae426082', 'hex');
    await harness.adapter.send(`telegram:${USER.id}`, { text: 'The **chart**.', files: [{ name: 'chart.png', bytes: png }] });
    await harness.adapter.send(`telegram:${USER.id}`, { text: '', files: [{ name: 'broken.png', bytes: Buffer.from('not a picture') }] });
    const [photo, document] = await harness.fake.waitForSent(2);
    expect(photo).toMatchObject({ caption: 'The <b>chart</b>.', parse_mode: 'HTML', photo: { fileName: 'chart.png' } });
    expect(document).toMatchObject({ document: { fileName: 'broken.png' } });
    expect(harness.fake.callsTo('sendPhoto')).toHaveLength(2);
  });

  it('gives an unknown user a pairing code and no model reply', async () => {
    await setUp();
    harness.fake.pushUpdate({ message: { ...harness.message('hi'), from: { id: 7, is_bot: false, first_name: 'Eve' }, chat: { id: 7, type: 'private' } } });
    const [reply] = await harness.fake.waitForSent(1);
    expect(visible(reply!)).toMatch(/pairing code is [A-Z0-9]{8}/);
    expect(model.chatRequests()).toHaveLength(0);
  });

  /** The user's reaction in their DM with the bot on message `messageId` (Cairn's replies count up from 1000). */
  const reactInDm = (messageId: number, emoji: string, date: number) =>
    harness.fake.pushUpdate({ message_reaction: { chat: { id: USER.id, type: 'private' }, message_id: messageId, user: USER, date, old_reaction: [], new_reaction: [{ type: 'emoji', emoji }] } });

  it('turns 👍 on a reply into feedback on that task', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    harness.fake.pushUpdate({ message: harness.message('time?') });
    await harness.fake.waitForSent(1);
    await cairn.learning.idle();
    const react = (emoji: string, date: number) => reactInDm(1000, emoji, date);
    react('👍', 1_700_000_001);
    await harness.fake.waitForSent(2);
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ feedback: 'good', outcome: 'success', outcomeSource: 'feedback' });
    // Changed to 👎, then back to 👍: the last verdict holds (the second 👍 is no repeat of the first).
    react('👎', 1_700_000_005);
    await harness.fake.waitForSent(3);
    react('👍', 1_700_000_009);
    await harness.fake.waitForSent(4);
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ feedback: 'good' });
  });

  it('takes 👎 on an older reply as feedback on the turn that sent it, not on the latest task', async () => {
    await setUp();
    model.enqueue({ text: 'Paris.' }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    harness.fake.pushUpdate({ message: harness.message('capital of France?') });
    await harness.fake.waitForSent(1);
    harness.fake.pushUpdate({ message: harness.message('time?') });
    await harness.fake.waitForSent(2);
    await cairn.learning.idle();
    // The first reply was message 1000.
    reactInDm(1000, '👎', 1_700_000_001);
    await harness.fake.waitForSent(3);
    await cairn.learning.idle();
    const [judged, latest] = cairn.learning.tasks.recent(2);
    expect([judged?.request, judged?.feedback, judged?.outcome]).toEqual(['capital of France?', 'bad', 'failure']);
    expect([latest?.request, latest?.feedback]).toEqual(['time?', undefined]);
  });

  it("takes 👎 on a scheduled task's answer as feedback on that run, though it answered no message", async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Digest: 3 incidents.' }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Paris.' });
    const conversationId = `telegram:${USER.id}`;
    await cairn.gateway.receive({
      platform: 'telegram', conversationId, userId: conversationId, senderId: String(USER.id), userName: 'ada', text: 'Summarize the open incidents',
      isDirect: true, isSelf: false, scheduled: { id: 1 }, messageId: 'schedule:1:1700000000000', receivedAt: new Date(0),
    });
    await harness.fake.waitForSent(1);
    harness.fake.pushUpdate({ message: harness.message('capital of France?') });
    await harness.fake.waitForSent(2);
    await cairn.learning.idle();
    // The digest was message 1000.
    reactInDm(1000, '👎', 1_700_000_001);
    await harness.fake.waitForSent(3);
    await cairn.learning.idle();
    const verdicts = cairn.learning.tasks.recent(2).map((task) => [task.reply, task.feedback]);
    expect(verdicts).toEqual([
      ['Paris.', undefined],
      ['Digest: 3 incidents.', 'bad'],
    ]);
  });

  it('answers in the forum topic it was asked in, each topic its own conversation, and takes 👍 there as feedback', async () => {
    await setUp();
    const forum = { id: -1001, type: 'supergroup' };
    const ask = (topic: number, text: string) =>
      harness.fake.pushUpdate({ message: harness.message(`@${BOT.username} ${text}`, { chat: forum, message_thread_id: topic, is_topic_message: true, entities: [{ type: 'mention', offset: 0, length: BOT.username.length + 1 }] }) });
    ask(7, 'first topic');
    const [first] = await harness.fake.waitForSent(1);
    expect(first).toMatchObject({ chat_id: forum.id, message_thread_id: 7, text: 'echo: first topic' });
    expect(harness.fake.callsTo('sendChatAction')[0]).toMatchObject({ chat_id: forum.id, message_thread_id: 7 });
    ask(9, 'second topic');
    await harness.fake.waitForSent(2);
    const userTexts = (index: number) => (model.chatRequests()[index]?.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
    expect(userTexts(1)).toEqual(['second topic']);
    ask(7, 'and again');
    const [, second, third] = await harness.fake.waitForSent(3);
    expect(second).toMatchObject({ message_thread_id: 9 });
    expect(third).toMatchObject({ message_thread_id: 7 });
    expect(userTexts(2)).toEqual(['first topic', 'and again']);

    await cairn.learning.idle();
    harness.fake.pushUpdate({ message_reaction: { chat: forum, message_id: 1002, user: USER, date: 1_700_000_001, old_reaction: [], new_reaction: [{ type: 'emoji', emoji: '👎' }] } });
    // The thanks quotes no message: a reaction is none (its id once made it quote "message" -1001).
    expect((await harness.fake.waitForSent(4))[3]?.reply_parameters).toBeUndefined();
    await cairn.learning.idle();
    const tasks = cairn.learning.tasks.recent(3);
    expect(tasks.find((task) => task.feedback === 'bad')?.conversationId).toBe('telegram:-1001:topic-7');
  });

  it('without Telegram\'s own drafts (a Bot API before 9.5), streams into one message edited as it grows, which becomes the formatted answer', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    let more!: () => void;
    let rest!: () => void;
    model.enqueue({ stream: ['Working on **it**', new Promise<void>((resolve) => (more = resolve)), ' and on', new Promise<void>((resolve) => (rest = resolve)), ' that. Use `x`.'] });
    harness.fake.pushUpdate({ message: harness.message('go') });
    (await harness.timers.next(1_500)).fire();
    const [draft] = await harness.fake.waitForSent(1);
    expect(draft).toMatchObject({ chat_id: USER.id, parse_mode: 'HTML', text: 'Working on <b>it</b>' });
    const draftId = 1000;

    more();
    // The next update is set once the draft was posted.
    (await harness.timers.next(1_500)).fire();
    // A long turn whose draft shows gets no "still working" note.
    (await harness.timers.next(20_000)).fire();
    await harness.fake.waitFor('editMessageText', 1);
    expect(harness.fake.textOf(draftId)).toBe('Working on <b>it</b> and on');

    rest();
    await harness.fake.waitFor('editMessageText', 2);
    expect(harness.fake.textOf(draftId)).toBe('Working on <b>it</b> and on that. Use <code>x</code>.');
    expect(harness.fake.edits.at(-1)).toMatchObject({ chat_id: USER.id, message_id: draftId, parse_mode: 'HTML' });
    expect(harness.fake.sent).toHaveLength(1);
    expect(harness.timers.active()).not.toContain(1_500);
    // The Bot API said it has no drafts once: it is not asked again.
    expect(harness.fake.callsTo('sendMessageDraft')).toHaveLength(1);
  });

  it("streams an answer in a private chat into Telegram's own draft, then sends it as a message, which notifies", async () => {
    await setUp();
    let more!: () => void;
    let rest!: () => void;
    model.enqueue({ stream: ['Working on **it**', new Promise<void>((resolve) => (more = resolve)), ' and on', new Promise<void>((resolve) => (rest = resolve)), ' that. Use `x`.'] });
    harness.fake.pushUpdate({ message: harness.message('go') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('sendMessageDraft', 1);
    // Draft ids go on from when the process started (a stop press after a restart is no old one's).
    const first = Number(harness.fake.drafts[0]?.draft_id);
    expect(first).toBeGreaterThan(1_700_000_000);
    expect(harness.fake.drafts[0]).toMatchObject({ chat_id: USER.id, parse_mode: 'HTML', text: 'Working on <b>it</b>' });
    more();
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('sendMessageDraft', 2);
    // The same draft grows (its updates animate); no message exists yet.
    expect(harness.fake.draftShown(USER.id)).toEqual({ draftId: first, text: 'Working on <b>it</b> and on' });
    expect(harness.fake.sent).toEqual([]);
    // Telegram lets its draft fade 30 s after the last update: while a tool runs long it is shown again.
    (await harness.timers.next(DRAFT_REFRESH_MS)).fire();
    await harness.fake.waitFor('sendMessageDraft', 3);
    expect(harness.fake.drafts[2]).toMatchObject({ draft_id: first, text: 'Working on <b>it</b> and on' });

    harness.now += 45_000;
    rest();
    const [answer] = await harness.fake.waitForSent(1);
    expect(answer).toMatchObject({ chat_id: USER.id, parse_mode: 'HTML', text: 'Working on <b>it</b> and on that. Use <code>x</code>.' });
    // The answer took the draft's place: nothing to edit or delete.
    expect(harness.fake.draftShown(USER.id)).toBeUndefined();
    expect(harness.fake.callsTo('editMessageText')).toEqual([]);
    expect(harness.fake.callsTo('deleteMessage')).toEqual([]);
    // Nor is it shown again.
    await vi.waitFor(() => expect(harness.timers.active()).not.toContain(DRAFT_REFRESH_MS));

    // The next turn's draft is a new one; a draft Telegram refuses as markup shows as plain text.
    model.enqueue({ stream: ['Next **one**', new Promise<void>((resolve) => (rest = resolve)), '.'] });
    harness.fake.failNextSend('markup');
    harness.fake.pushUpdate({ message: harness.message('again') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('sendMessageDraft', 5);
    expect(harness.fake.drafts.at(-1)).toMatchObject({ draft_id: first + 1, text: 'Next **one**' });
    expect(harness.fake.drafts.at(-1)).not.toHaveProperty('parse_mode');
    rest();
    await harness.fake.waitForSent(2);
    expect(harness.fake.callsTo('sendMessageDraft')).toHaveLength(5);
  });

  it('sends the answer of a long streamed turn as a new message, which notifies, and deletes its draft', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    let rest!: () => void;
    model.enqueue({ stream: ['Looking into it.', new Promise<void>((resolve) => (rest = resolve)), ' Found it: the disk is full.'] });
    harness.fake.pushUpdate({ message: harness.message('why is the site down?') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitForSent(1);
    harness.now += 45_000;
    rest();
    const [, answer] = await harness.fake.waitForSent(2);
    expect(visible(answer!)).toBe('Looking into it. Found it: the disk is full.');
    expect(harness.fake.deleted).toEqual([1000]);
    expect(harness.fake.edits).toEqual([]);
  });

  it("streams into an edited message in a private chat where Telegram refuses its own draft, and still into drafts elsewhere", async () => {
    const ADA = { id: 77, is_bot: false, first_name: 'Ada', username: 'ada' };
    await setUp({ TELEGRAM_ALLOWED_USERS: `${USER.id},${ADA.id}` });
    harness.fake.refuseDraftsIn(USER.id);
    let rest!: () => void;
    model.enqueue({ stream: ['Looking', new Promise<void>((resolve) => (rest = resolve)), ' done.'] });
    harness.fake.pushUpdate({ message: harness.message('go') });
    (await harness.timers.next(1_500)).fire();
    const [draft] = await harness.fake.waitForSent(1);
    expect(draft).toMatchObject({ chat_id: USER.id, text: 'Looking' });
    rest();
    await harness.fake.waitFor('editMessageText', 1);

    model.enqueue({ stream: ['Checking', new Promise<void>((resolve) => (rest = resolve)), ' done.'] });
    harness.fake.pushUpdate({ message: harness.message('go too', { chat: { id: ADA.id, type: 'private' }, from: ADA }) });
    (await harness.timers.next(1_500)).fire();
    await vi.waitFor(() => expect(harness.fake.draftShown(ADA.id)).toMatchObject({ text: 'Checking' }));
    rest();
    await harness.fake.waitForSent(2);
  });

  it("takes a press of the stop button under Telegram's own draft as /stop", async () => {
    await setUp();
    model.enqueue({ stream: ['Reading all the logs', new Promise<void>(() => {})] });
    harness.fake.pushUpdate({ message: harness.message('read every log') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('sendMessageDraft', 1);
    expect(harness.fake.drafts[0]).toMatchObject({ can_stop: true, keep_on_stop: true });
    const stop = { chat: { id: USER.id, type: 'private', first_name: 'Ada', username: 'ada' }, draft_id: Number(harness.fake.drafts[0]?.draft_id) };
    harness.fake.pushUpdate({ stopped_message_generation: stop });
    const sent = await harness.fake.waitForSent(2);
    expect(sent.map(visible)).toEqual(['OK, stopping.', 'Stopped. What I did so far stays in this conversation.']);
    // Telegram delivering the press again stops nothing more.
    harness.fake.pushUpdate({ stopped_message_generation: stop });
    harness.fake.pushUpdate({ message: harness.message('thanks') });
    // The stopped question goes with the next one (chat templates require user and assistant to alternate).
    expect(visible((await harness.fake.waitForSent(3))[2]!)).toBe('echo: read every log\n\nthanks');
    expect(harness.fake.callsTo('getUpdates')[0]?.allowed_updates).toContain('stopped_message_generation');
  });

  it("streams into the draft of a private chat's topic, whose stop button stops that topic's turn", async () => {
    await setUp();
    model.enqueue({ stream: ['In the topic', new Promise<void>(() => {})] });
    harness.fake.pushUpdate({ message: harness.message('work here', { message_thread_id: 5, is_topic_message: true }) });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('sendMessageDraft', 1);
    expect(harness.fake.drafts[0]).toMatchObject({ chat_id: USER.id, message_thread_id: 5, text: 'In the topic' });
    harness.fake.pushUpdate({ stopped_message_generation: { chat: { id: USER.id, type: 'private', first_name: 'Ada' }, message_thread_id: 5, draft_id: Number(harness.fake.drafts[0]?.draft_id) } });
    const sent = await harness.fake.waitForSent(2);
    expect(sent.map((body) => [visible(body), body.message_thread_id])).toEqual([
      ['OK, stopping.', 5],
      ['Stopped. What I did so far stays in this conversation.', 5],
    ]);
  });

  it('sends each answer only when it is done with CAIRN_STREAM_REPLIES=false', async () => {
    await setUp({ CAIRN_STREAM_REPLIES: 'false' });
    harness.fake.pushUpdate({ message: harness.message('no streaming') });
    await harness.fake.waitForSent(1);
    expect(model.chatRequests()[0]?.stream).toBeUndefined();
    expect(harness.timers.scheduled.map((t) => t.ms)).not.toContain(1_500);
  });

  it('answers below a file sent during the turn, in a new message, leaving the words before it', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    const gates: (() => void)[] = [];
    const gate = () => new Promise<void>((resolve) => gates.push(resolve));
    model.enqueue(
      { stream: ['Making the file.', gate()], toolCalls: [{ name: 'send_file', arguments: { name: 'a.txt', content: 'A' } }] },
      { stream: ['It is ', gate(), 'above.'] },
    );
    harness.fake.pushUpdate({ message: harness.message('a file please') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitForSent(1);
    gates[0]?.();
    await harness.fake.waitForSent(2);
    (await harness.timers.next(1_500)).fire();
    const [first, file, second] = await harness.fake.waitForSent(3);
    expect([visible(first!), file?.document, visible(second!)]).toEqual(['Making the file.', expect.objectContaining({ fileName: 'a.txt' }), 'It is']);
    gates[1]?.();
    await harness.fake.waitFor('editMessageText', 1);
    expect(harness.fake.textOf(1002)).toBe('It is above.');
    expect(harness.fake.textOf(1000)).toBe('Making the file.');
    expect(harness.fake.sent).toHaveLength(3);
  });

  it('starts the draft over when the model connection drops and the call is tried again', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    let drop!: () => void;
    let finish!: () => void;
    model.enqueue({ stream: ['Hel', new Promise<void>((resolve) => (drop = resolve))], drop: true }, { stream: ['Hello', new Promise<void>((resolve) => (finish = resolve)), ' there.'] });
    harness.fake.pushUpdate({ message: harness.message('hi') });
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitForSent(1);
    drop();
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitFor('editMessageText', 1);
    expect(harness.fake.textOf(1000)).toBe('Hello');
    finish();
    await harness.fake.waitFor('editMessageText', 2);
    expect(harness.fake.textOf(1000)).toBe('Hello there.');
    expect(model.chatRequests()).toHaveLength(2);
  });

  /** Streams `first`, lets the test see its draft posted, then streams `rest` when the returned function is called. */
  async function streamDraft(first: string, rest: string): Promise<() => void> {
    let release!: () => void;
    model.enqueue({ stream: [first, new Promise<void>((resolve) => (release = resolve)), rest] });
    harness.fake.pushUpdate({ message: harness.message('question') });
    const before = harness.fake.sent.length;
    (await harness.timers.next(1_500)).fire();
    await harness.fake.waitForSent(before + 1);
    return release;
  }

  it('puts the answer into its draft as plain text when Telegram refuses the markup', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    const rest = await streamDraft('Almost', ' **there**.');
    harness.fake.failNextSend('markup');
    rest();
    await harness.fake.waitFor('editMessageText', 2);
    expect(harness.fake.textOf(1000)).toBe('Almost **there**.');
    expect(harness.fake.edits.at(-1)?.parse_mode).toBeUndefined();
    expect(harness.fake.sent).toHaveLength(1);
  });

  it('sends the answer anew when its draft was deleted, and leaves a draft that already shows the answer', async () => {
    await setUp();
    harness.fake.withoutDrafts();
    const rest = await streamDraft('Gone', ' soon.');
    harness.fake.deleteMessage(1000);
    rest();
    const [, answer] = await harness.fake.waitForSent(2);
    expect(answer).toMatchObject({ text: 'Gone soon.' });

    const same = await streamDraft('All of it.', '');
    same();
    // Telegram answers "message is not modified": the draft shows the answer, nothing more is sent.
    await harness.fake.waitFor('editMessageText', 2);
    harness.fake.pushUpdate({ message: harness.message('next') });
    await harness.fake.waitForSent(4);
    expect(harness.fake.sent.map(visible)).toEqual(['Gone', 'Gone soon.', 'All of it.', 'echo: next']);
  });

  it('posts one progress note on a long turn and keeps typing', async () => {
    await setUp({ CAIRN_SHUTDOWN_GRACE_MS: '10' });
    model.enqueue({ hang: true });
    harness.fake.pushUpdate({ message: harness.message('slow question') });
    await harness.fake.waitFor('sendChatAction', 1);
    (await harness.timers.next(4_000)).fire();
    (await harness.timers.next(20_000)).fire();
    const [note] = await harness.fake.waitForSent(1);
    expect(visible(note!)).toBe('Still working on it…');
    expect(harness.fake.callsTo('sendChatAction').length).toBeGreaterThanOrEqual(2);
  });
});

describe('telegram webhook mode and shutdown', () => {
  it('takes updates on the webhook only with the secret token, and finishes a turn in flight at shutdown', async () => {
    const model = await startFakeModelServer();
    const fake = await startFakeTelegram();
    const dataDir = tempDir();
    const config = testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_ALLOWED_USERS: '42', TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/hook', TELEGRAM_WEBHOOK_SECRET: 's3cret-token', CAIRN_HTTP_PORT: '0' }, dataDir);
    const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
    try {
      expect(fake.callsTo('setWebhook')[0]).toMatchObject({ url: 'https://bot.example.com/telegram/hook', secret_token: 's3cret-token' });
      const update = { update_id: 1, message: { message_id: 5, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: USER, text: 'via webhook' } };
      const post = (secret: string) =>
        fetch(`http://127.0.0.1:${running.port}/telegram/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(update) });
      expect((await post('wrong')).status).toBe(401);
      model.enqueue({ delayMs: 50, then: { text: 'answered during shutdown' } });
      expect((await post('s3cret-token')).status).toBe(200);
      // Telegram re-posts an update it thinks timed out: the same update, answered once.
      expect((await post('s3cret-token')).status).toBe(200);
      while (model.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await running.stop();
      expect(fake.sent.map((body) => body.text)).toEqual(['answered during shutdown']);
      expect(running.cairn.db.open).toBe(false);
    } finally {
      await running.stop();
      await fake.close();
      await model.close();
    }
  });
});

describe('telegram webhook before start and after stop', () => {
  it('answers 503 to an update that comes before its handlers are set or once it stops, so Telegram sends it again instead of it being lost', async () => {
    const fake = await startFakeTelegram();
    const config = testConfig('http://127.0.0.1:9/v1', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/hook', TELEGRAM_WEBHOOK_SECRET: 's3cret-token' });
    const http = new HttpServer();
    const adapter = new TelegramAdapter({ config, http, logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} });
    const port = await http.listen(0, '127.0.0.1');
    const received: string[] = [];
    try {
      const post = () =>
        fetch(`http://127.0.0.1:${port}/telegram/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret-token' },
          body: JSON.stringify({ update_id: 1, message: { message_id: 5, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: USER, text: 'early' } }),
        });
      expect((await post()).status).toBe(503);
      await adapter.start(async (message) => {
        received.push(message.text);
        return 'turn';
      });
      expect((await post()).status).toBe(200);
      expect(received).toEqual(['early']);
      // Stopping (a restart): later updates are left for Telegram to send again, not answered "restarting".
      await adapter.stop();
      expect((await post()).status).toBe(503);
      expect(received).toEqual(['early']);
    } finally {
      await adapter.stop();
      await http.close();
      await fake.close();
    }
  });
});

describe('telegram webhook behind a proxy that changes the path', () => {
  it('takes updates at TELEGRAM_WEBHOOK_PATH, not at the public URL\'s path', async () => {
    const fake = await startFakeTelegram();
    const config = testConfig('http://127.0.0.1:9/v1', {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_URL: 'https://example.com/cairn/telegram',
      TELEGRAM_WEBHOOK_SECRET: 's3cret-token',
      TELEGRAM_WEBHOOK_PATH: '/telegram',
    });
    const http = new HttpServer();
    const adapter = new TelegramAdapter({ config, http, logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} });
    const port = await http.listen(0, '127.0.0.1');
    const received: string[] = [];
    try {
      await adapter.start(async (message) => {
        received.push(message.text);
        return 'turn';
      });
      const post = (path: string) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret-token' },
          body: JSON.stringify({ update_id: 7, message: { message_id: 9, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: USER, text: 'via the proxy' } }),
        });
      expect((await post('/telegram')).status).toBe(200);
      expect((await post('/cairn/telegram')).status).toBe(404);
      expect(received).toEqual(['via the proxy']);
      expect(() => testConfig('http://127.0.0.1:9/v1', { TELEGRAM_WEBHOOK_PATH: 'telegram' })).toThrow(/TELEGRAM_WEBHOOK_PATH.*a path starting with \//);
    } finally {
      await adapter.stop();
      await http.close();
      await fake.close();
    }
  });
});

describe('telegram start', () => {
  it('gives up with the reason when the Bot API cannot be reached, warning on each retry', async () => {
    const fake = await startFakeTelegram();
    const apiRoot = fake.apiRoot;
    await fake.close(); // nothing listens there any more
    const config = testConfig('http://127.0.0.1:9/v1', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: apiRoot });
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const waits: number[] = [];
    const adapter = new TelegramAdapter({ config, http: new HttpServer(), logger, commands: new CommandRegistry(), sleep: async (ms) => void waits.push(ms) });
    const failure = (await adapter.start(async () => {}).catch((error: unknown) => error)) as CairnError;
    expect(failure).toMatchObject({ code: 'network', message: expect.stringMatching(/^Cannot reach Telegram: .*ECONNREFUSED/) });
    // The failed URL carries the bot token; the message must not.
    expect(failure.message).toContain('/bot[token]/getMe');
    expect(failure.message).not.toContain(fake.token);
    expect(waits).toHaveLength(4);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(Array.from({ length: 4 }, () => 'Telegram call failed; retrying'));
  });
});

describe('telegram long polling watch', () => {
  function watched() {
    const lines: { level: number; msg: string; downMs?: number }[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) } });
    const clock = { now: 0 };
    return { lines, clock, watch: watchPolling(logger, () => clock.now) };
  }
  const down = () => Promise.reject(new HttpError("Network request for 'getUpdates' failed!", new Error('connect ECONNREFUSED 127.0.0.1:9')));
  const up = () => Promise.resolve({ ok: true as const, result: [] });

  it('warns when getUpdates fails, at most once a minute, and says when it works again', async () => {
    const { lines, clock, watch } = watched();
    const poll = (prev: () => Promise<unknown>) => (watch as (...args: unknown[]) => Promise<unknown>)(prev, 'getUpdates', {}, new AbortController().signal);
    await expect(poll(down)).rejects.toBeInstanceOf(HttpError);
    clock.now = 3_000;
    await expect(poll(down)).rejects.toBeInstanceOf(HttpError);
    clock.now = 61_000;
    await expect(poll(down)).rejects.toBeInstanceOf(HttpError);
    clock.now = 64_000;
    await poll(up);
    await poll(up);
    expect(lines.map((line) => line.msg)).toEqual([
      'Telegram long polling failed; retrying every 3 s',
      'Telegram long polling failed; retrying every 3 s',
      'Telegram long polling works again',
    ]);
    expect(lines[2]?.downMs).toBe(64_000);
  });

  it('stays quiet about a getUpdates cut short by stopping the bot, and about other methods', async () => {
    const { lines, watch } = watched();
    const call = watch as (...args: unknown[]) => Promise<unknown>;
    await expect(call(down, 'getUpdates', {}, AbortSignal.abort())).rejects.toBeInstanceOf(HttpError);
    await expect(call(down, 'sendMessage', {}, new AbortController().signal)).rejects.toBeInstanceOf(HttpError);
    expect(lines).toEqual([]);
  });
});

describe('telegram rendering', () => {
  it('escapes HTML and maps Markdown to the tags Telegram accepts', () => {
    expect(markdownToHtml('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(markdownToHtml('# Title\n**b** *i* ~~s~~ [x](https://e.com/?a=1&b=2) `<tag>`')).toBe(
      '<b>Title</b>\n<b>b</b> <i>i</i> <s>s</s> <a href="https://e.com/?a=1&amp;b=2">x</a> <code>&lt;tag&gt;</code>',
    );
    expect(markdownToHtml('```python\nif a < b:\n    pass\n```')).toBe('<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>');
    expect(markdownToHtml('snake_case_name and 2*3*4')).toBe('snake_case_name and 2*3*4');
  });

  it('keeps the asterisks of a product or a glob (a * with a space after it is no emphasis), and italics inside bold', () => {
    expect(markdownToHtml('2 * 3 * 4 = 24')).toBe('2 * 3 * 4 = 24');
    expect(markdownToHtml('Delete the *.log files and the *.tmp files.')).toBe('Delete the *.log files and the *.tmp files.');
    expect(markdownToHtml('**Never *ever* push to main** and *a* _b_')).toBe('<b>Never <i>ever</i> push to main</b> and <i>a</i> <i>b</i>');
    expect(markdownToHtml('***bold italic***')).toBe('<b><i>bold italic</i></b>');
  });

  it('measures a part by the text Telegram shows, so a code block full of < is still formatted', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `  <li class="item"><a href="/p/${i}">Item ${i}</a></li>`);
    const answer = `Here is the list:\n\n\`\`\`html\n<ul>\n${lines.join('\n')}\n</ul>\n\`\`\`\n\nDone.`;
    const parts = renderParts(answer);
    expect(parts).toHaveLength(1);
    expect(parts[0]?.html).toContain('<pre><code class="language-html">&lt;ul&gt;');
  });

  it('keeps a code block whose language is not a plain word (c#) a code block, and the text after it text', () => {
    expect(markdownToHtml('```c#\nvar x = 1;\n```\nAfter **bold**.')).toBe('<pre><code class="language-c#">var x = 1;</code></pre>\nAfter <b>bold</b>.');
    expect(markdownToHtml('```a"b<c\nx\n```')).toBe('<pre><code class="language-a&quot;b&lt;c">x</code></pre>');
  });

  it('keeps a link whose URL has parentheses (Wikipedia) whole, and a fence with words after its language a code block', () => {
    expect(markdownToHtml('See [Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)).')).toBe('See <a href="https://en.wikipedia.org/wiki/Mercury_(planet)">Mercury</a>.');
    expect(markdownToHtml('```bash title="install.sh"\nnpm i\n```\nThen **run** it.')).toBe('<pre><code class="language-bash">npm i</code></pre>\nThen <b>run</b> it.');
  });

  it('leaves the URL of a link alone (underscores and asterisks are no emphasis there), and formats its label', () => {
    expect(markdownToHtml('See [the **docs**](https://example.com/_next/page_) and [x](https://e.com/a*b*c) _now_')).toBe(
      'See <a href="https://example.com/_next/page_">the <b>docs</b></a> and <a href="https://e.com/a*b*c">x</a> <i>now</i>',
    );
  });
});

describe('telegram errors and normalizing', () => {
  const apiError = (error_code: number, description: string, parameters = {}) => new GrammyError('call failed', { ok: false, error_code, description, parameters }, 'sendMessage', {});

  it('maps Bot API failures to CairnErrors at one place', () => {
    expect(mapTelegramError(apiError(429, 'Too Many Requests', { retry_after: 7 }))).toMatchObject({ code: 'rate_limit', retryAfterMs: 7000, isRetryable: true, platform: 'telegram' });
    expect(mapTelegramError(apiError(401, 'Unauthorized'))).toMatchObject({ code: 'auth', isRetryable: false });
    expect(mapTelegramError(apiError(403, 'Forbidden: bot was blocked by the user'))).toMatchObject({ code: 'permission', isRetryable: false });
    expect(mapTelegramError(apiError(502, 'Bad Gateway'))).toMatchObject({ code: 'unavailable', isRetryable: true });
    expect(mapTelegramError(new HttpError('Network request failed', new Error('ECONNRESET')))).toMatchObject({ code: 'network', isRetryable: true });
    expect(isMarkupRejection(mapTelegramError(apiError(400, "Bad Request: can't parse entities: unsupported start tag \"x\"")))).toBe(true);
    expect(isMarkupRejection(mapTelegramError(apiError(400, 'Bad Request: chat not found')))).toBe(false);
  });

  it('fills ids, flags bots, strips the mention, and scopes group sessions as configured', () => {
    const bot = { id: BOT.id, username: BOT.username };
    const group = { message_id: 9, date: 1_700_000_000, chat: { id: -100, type: 'group' }, from: USER, text: 'hey @Cairn_Bot look', entities: [{ type: 'mention', offset: 4, length: 10 }] };
    expect(normalizeMessage(group, { bot, groupSessions: 'chat' })).toMatchObject({
      conversationId: 'telegram:-100',
      userId: 'telegram:42',
      senderId: '42',
      text: 'hey look',
      isDirect: false,
      addressed: true,
      isSelf: false,
      isBot: false,
      messageId: '-100:9',
    });
    expect(normalizeMessage(group, { bot, groupSessions: 'user' })?.conversationId).toBe('telegram:-100:42');
    const other = normalizeMessage({ ...group, from: { id: 5, is_bot: true, first_name: 'Other' }, entities: [] }, { bot, groupSessions: 'chat' });
    expect(other).toMatchObject({ isBot: true, addressed: false });
    expect(normalizeMessage({ ...group, from: BOT }, { bot, groupSessions: 'chat' })).toMatchObject({ isSelf: true, isBot: false });
    expect(normalizeMessage({ update: 'not a message' }, { bot, groupSessions: 'chat' })).toBeUndefined();
    // A forum topic is a conversation of its own; a reply thread in a plain group is not.
    const topic = { ...group, chat: { id: -100, type: 'supergroup' }, message_thread_id: 7, is_topic_message: true };
    expect(normalizeMessage(topic, { bot, groupSessions: 'chat' })?.conversationId).toBe('telegram:-100:topic-7');
    expect(normalizeMessage(topic, { bot, groupSessions: 'user' })?.conversationId).toBe('telegram:-100:topic-7:42');
    expect(normalizeMessage({ ...group, message_thread_id: 3 }, { bot, groupSessions: 'chat' })?.conversationId).toBe('telegram:-100');
    expect([topicOf('telegram:-100:topic-7:42'), topicOf('telegram:-100:42'), chatIdOf('telegram:-100:topic-7')]).toEqual([7, undefined, -100]);
  });
});

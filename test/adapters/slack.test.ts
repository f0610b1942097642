/**
 * The Slack adapter with the real @slack/bolt: signed HTTP events go in on the shared
 * server's /slack/events, the Web API and response_urls are a loopback fake, the model is
 * the scripted model server. Nothing waits for real: retries use an injected sleep and the
 * long-turn note an injected timer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapterContract, type ContractHarness, type SendFailure } from './contract.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { SlackEventSender, signSlackRequest, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CairnError } from '../../src/core/errors.js';
import type { Config } from '../../src/config/load.js';
import type { CairnOverrides } from '../../src/main.js';
import type { ModelClient } from '../../src/model/types.js';
import { createModelClient } from '../../src/model/client.js';
import { startCairn } from '../../src/cli/start.js';
import { webApi } from '@slack/bolt';
import { createAdapter, SlackAdapter, type SlackAdapterOptions } from '../../adapters/slack/index.js';
import { normalizeEvent, normalizeSlashCommand, slackToPlain, type NormalizeOptions } from '../../adapters/slack/normalize.js';
import { BLOCKS_LIMIT, SECTION_LIMIT, renderMessages, toMrkdwn, toPlainText } from '../../adapters/slack/render.js';
import { threadTitle } from '../../adapters/slack/interactions.js';
import { isMarkupRejection, mapSlackError } from '../../adapters/slack/errors.js';

const SIGNING_SECRET = 'fake-signing-secret-0123456789';
const THINKING = 'hourglass_flowing_sand';

function slackEnv(slack: FakeSlackApi, extra: Record<string, string> = {}): Record<string, string> {
  return { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1', ...extra };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Drives the real adapter through HTTP events against the fake Web API. */
class SlackHarness implements ContractHarness {
  slack!: FakeSlackApi;
  events!: SlackEventSender;
  adapter!: SlackAdapter;
  readonly maxMessageLength = BLOCKS_LIMIT;
  /** Messages the adapter pushed into the core, to know an event went through Bolt. */
  delivered = 0;
  private readonly http = new HttpServer();
  private readonly waits: number[] = [];
  private readonly seenEventIds = new Set<string>();

  constructor(private readonly adapterOptions?: SlackAdapterOptions) {}

  async env(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    this.slack = await startFakeSlackApi();
    return slackEnv(this.slack, extra);
  }

  async start(cairn: TestCairn): Promise<void> {
    const deps = { config: cairn.config, http: this.http, logger: silentLogger, commands: cairn.commands, sleep: async (ms: number) => void this.waits.push(ms) };
    this.adapter = this.adapterOptions ? new SlackAdapter(deps, this.adapterOptions) : ((await createAdapter(deps)) as SlackAdapter);
    cairn.gateway.attach(this.adapter);
    const port = await this.http.listen(0, '127.0.0.1');
    this.events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, this.slack);
    await this.adapter.start(async (message) => {
      this.delivered++;
      return cairn.gateway.receive(message);
    });
  }

  /** Sends an event and waits until Bolt handed it to the core. */
  async send(options: Parameters<SlackEventSender['message']>[0]): Promise<{ ts: string }> {
    const before = this.delivered;
    const result = await this.events.message(options);
    expect(result.status).toBe(200);
    await until(() => this.delivered > before, 'the event to reach the core');
    return result;
  }

  async deliverDirect(text: string, options: { eventId?: string } = {}): Promise<void> {
    const repeated = options.eventId !== undefined && this.seenEventIds.has(options.eventId);
    if (options.eventId) this.seenEventIds.add(options.eventId);
    await this.send({ text, ...(options.eventId ? { eventId: options.eventId } : {}), ...(repeated ? { retryNum: 1 } : {}) });
  }

  async deliverOwn(text: string): Promise<void> {
    await this.send({ text, user: this.slack.botUserId, botId: this.slack.botId });
  }

  async replies(count: number): Promise<string[]> {
    return (await this.slack.waitForMessages(count, (post) => post.channel === 'D1')).map((post) => post.text);
  }

  failNextSend(kind: SendFailure): void {
    this.slack.failNext('chat.postMessage', kind);
  }

  sleeps(): number[] {
    return this.waits;
  }

  async stop(): Promise<void> {
    await this.adapter?.stop();
    await this.http.close();
    await this.slack?.close();
  }
}

adapterContract('slack', () => new SlackHarness());

/** The real model client behind a gate, so a turn can be held open without sleeping. */
function gatedModel(config: Config): { model: ModelClient; open(): void; calls(): number } {
  const inner = createModelClient({ providers: config.providers, timeoutMs: 10_000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let calls = 0;
  return {
    model: {
      complete: async (request) => {
        calls++;
        await gate;
        return inner.complete(request);
      },
    },
    open: () => open(),
    calls: () => calls,
  };
}

interface Setup {
  slack: FakeSlackApi;
  harness: SlackHarness;
  model: FakeModelServer;
  cairn: TestCairn;
  timers: ManualTimers;
  gate?: ReturnType<typeof gatedModel>;
}

describe('Slack end to end (real Bolt, signed HTTP events, fake Web API)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: { gated?: boolean; channelSessions?: 'thread' | 'channel'; socket?: boolean; env?: Record<string, string>; now?: () => Date } = {}): Promise<Setup> {
    const model = await startFakeModelServer();
    const timers = new ManualTimers();
    const harness = new SlackHarness({ timer: timers.timer, ...(options.now ? { now: options.now } : {}) });
    let config = testConfig(model.url, await harness.env({ ...(options.socket ? { SLACK_APP_TOKEN: 'xapp-fake-slack-app-token' } : {}), ...options.env }));
    if (options.channelSessions) config = { ...config, platforms: { ...config.platforms, slack: { ...config.platforms.slack, channelSessions: options.channelSessions } } };
    const gate = options.gated ? gatedModel(config) : undefined;
    const overrides: CairnOverrides = gate ? { model: gate.model } : {};
    const cairn = startTestCairn(config, overrides);
    cleanups.push(async () => {
      gate?.open();
      await harness.stop();
      await cairn.close();
      await model.close();
    });
    await harness.start(cairn);
    return { slack: harness.slack, harness, model, cairn, timers, ...(gate ? { gate } : {}) };
  }

  const userTexts = (model: FakeModelServer, index: number) =>
    (model.chatRequests()[index]?.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user').map((m) => m.content);

  it('answers a channel mention in its thread, without the mention, one session per thread', async () => {
    const { slack, harness, model } = await setup();
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> what is up?' });
    expect((await slack.waitForMessages(1, (p) => p.channel === 'C1'))[0]).toMatchObject({ text: 'echo: what is up?', threadTs: ts });

    await harness.send({ mention: true, channel: 'C1', threadTs: ts, text: '<@UBOT|cairn> and then?' });
    expect((await slack.waitForMessages(2, (p) => p.channel === 'C1'))[1]).toMatchObject({ text: 'echo: and then?', threadTs: ts });
    expect(userTexts(model, 1)).toEqual(['what is up?', 'and then?']);

    const second = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> a new thread' });
    expect((await slack.waitForMessages(3, (p) => p.channel === 'C1'))[2]).toMatchObject({ text: 'echo: a new thread', threadTs: second.ts });
    expect(userTexts(model, 2)).toEqual(['a new thread']);
  });

  it('reads the thread before a mention in it, since Cairn last spoke there', async () => {
    const { slack, harness, model } = await setup();
    const root = '1600000500.000001';
    slack.addThreadMessage({ channel: 'C1', ts: root, user: 'U2', text: 'Deploy failed on *staging*' });
    slack.addThreadMessage({ channel: 'C1', ts: '1600000501.000001', thread_ts: root, user: 'U3', text: 'Disk full on &lt;runner-2&gt;' });
    await harness.send({ mention: true, channel: 'C1', threadTs: root, ts: '1600000502.000001', text: '<@UBOT> what happened?' });
    await slack.waitForMessages(1, (p) => p.channel === 'C1');
    expect(userTexts(model, 0)).toEqual(['[Earlier in this thread:\nBo: Deploy failed on *staging*\nCy: Disk full on <runner-2>]\nwhat happened?']);

    // Cairn's answer is in the thread now: the next mention brings only what was said after it, and a bare mention asks about that.
    slack.addThreadMessage({ channel: 'C1', ts: '1800000001.000001', thread_ts: root, user: 'U2', text: 'Freed the disk, deploy is green' });
    await harness.send({ mention: true, channel: 'C1', threadTs: root, ts: '1800000002.000001', text: '<@UBOT>' });
    await slack.waitForMessages(2, (p) => p.channel === 'C1');
    expect(userTexts(model, 1).at(-1)).toBe('[Earlier in this thread:\nBo: Freed the disk, deploy is green]');

    // Without the history scopes the question is answered as it stands, and the log says which scopes to add.
    slack.failNext('conversations.replies', { error: 'missing_scope' });
    await harness.send({ mention: true, channel: 'C1', threadTs: root, ts: '1800000003.000001', text: '<@UBOT> thanks' });
    await slack.waitForMessages(3, (p) => p.channel === 'C1');
    expect(userTexts(model, 2).at(-1)).toBe('thanks');
  });

  it('knows members by name (users.info, asked once), and by id where Slack does not say', async () => {
    const { slack, harness, model } = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U7' } });
    await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> hello' });
    await slack.waitForMessages(1, (p) => p.channel === 'C1');
    const first = model.chatRequests()[0]?.messages as { role: string; content: string; name?: string }[];
    expect(first.at(-1)).toMatchObject({ role: 'user', name: 'Ada', content: 'hello' });
    expect(first[0]?.content).toContain("a group conversation on slack; each person's messages carry their name");
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> again' });
    await slack.waitForMessages(2, (p) => p.channel === 'C1');
    expect(slack.callsTo('users.info')).toHaveLength(1);
    await harness.send({ mention: true, channel: 'C1', threadTs: ts, user: 'U7', text: '<@UBOT> me too' });
    await slack.waitForMessages(3, (p) => p.channel === 'C1');
    expect((model.chatRequests()[2]?.messages as { name?: string }[]).at(-1)?.name).toBe('U7');
  });

  it('pages through a long thread to bring its newest messages', async () => {
    const { slack, harness, model } = await setup();
    const root = '1600000500.000000';
    slack.addThreadMessage({ channel: 'C1', ts: root, user: 'U2', text: 'A long incident thread' });
    for (let n = 1; n <= 250; n++) slack.addThreadMessage({ channel: 'C1', ts: `1600000500.${String(n).padStart(6, '0')}`, thread_ts: root, user: 'U2', text: `update ${n}` });
    await harness.send({ mention: true, channel: 'C1', threadTs: root, ts: '1600000501.000000', text: '<@UBOT> where are we?' });
    await slack.waitForMessages(1, (p) => p.channel === 'C1');
    const [shown] = userTexts(model, 0) as string[];
    expect(shown).toMatch(/^\[Earlier in this thread \(older messages left out\):\nBo: update 51\n/);
    expect(shown).toContain('Bo: update 250]\nwhere are we?');
    expect(slack.callsTo('conversations.replies')).toHaveLength(2);
  });

  it('shares one session per channel when configured, still answering in threads', async () => {
    const { slack, harness, model } = await setup({ channelSessions: 'channel' });
    const first = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> one' });
    await slack.waitForMessages(1);
    const second = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> two' });
    const replies = await slack.waitForMessages(2);
    expect(replies.map((p) => p.threadTs)).toEqual([first.ts, second.ts]);
    expect(userTexts(model, 1)).toEqual(['one', 'two']);
  });

  it('in channels answers only when mentioned; a mention seen as message and app_mention is answered once', async () => {
    const { slack, harness, model } = await setup();
    await harness.send({ channel: 'C1', channelType: 'channel', text: 'just chatting among ourselves' });
    const ts = '1600000999.000001';
    await harness.send({ channel: 'C1', channelType: 'channel', ts, eventId: 'EvA', text: '<@UBOT> hello there' });
    await harness.send({ mention: true, channel: 'C1', ts, eventId: 'EvB', text: '<@UBOT> hello there' });
    await slack.waitForMessages(1);
    await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> last' });
    expect((await slack.waitForMessages(2)).map((p) => p.text)).toEqual(['echo: hello there', 'echo: last']);
    expect(model.chatRequests()).toHaveLength(2);
  });

  it('answers a Slack retry of the same event (X-Slack-Retry-Num) once', async () => {
    const { slack, harness, model } = await setup();
    await harness.send({ text: 'retried', eventId: 'EvR' });
    await harness.send({ text: 'retried', eventId: 'EvR', retryNum: 1 });
    await harness.send({ text: 'retried', eventId: 'EvR', retryNum: 2 });
    await harness.send({ text: 'after' });
    expect((await slack.waitForMessages(2)).map((p) => p.text)).toEqual(['echo: retried', 'echo: after']);
    expect(model.chatRequests()).toHaveLength(2);
  });

  it('transcribes an audio clip, downloaded with the bot token, and names the scope when Slack will not hand it over', async () => {
    const { slack, harness, model } = await setup({ env: { CAIRN_TRANSCRIBE_MODEL: 'whisper-1' } });
    const url = slack.addFile('clip.webm', Buffer.from('webm audio'));
    model.enqueueTranscription({ text: 'what is on my calendar' });
    await harness.send({ text: '', subtype: 'file_share', files: [{ name: 'clip.webm', mimetype: 'audio/webm', url_private_download: url }] });
    await slack.waitForMessages(1);
    expect(userTexts(model, 0)).toEqual(['[audio file (clip.webm), transcribed] what is on my calendar']);
    expect(model.transcriptionRequests()).toEqual([{ model: 'whisper-1', fileName: 'clip.webm' }]);

    // Without files:read, Slack answers a download with its sign-in page.
    await harness.send({ text: '', subtype: 'file_share', files: [{ name: 'other.webm', mimetype: 'audio/webm', url_private_download: url.replace('clip', 'other') }] });
    expect((await slack.waitForMessages(2))[1]?.text).toContain('Slack did not hand over the file: add the files:read scope to the app and reinstall it');
  });

  it('reads a shared text file (an HTML one too) and has a screenshot described with CAIRN_VISION_MODEL', async () => {
    const { slack, harness, model } = await setup({ env: { CAIRN_VISION_MODEL: 'gpt-4o-mini' } });
    const page = slack.addFile('page.html', Buffer.from('<h1>502 Bad Gateway</h1>'));
    await harness.send({ text: 'what is this page?', subtype: 'file_share', files: [{ name: 'page.html', mimetype: 'text/html', url_private_download: page, size: 24 }] });
    await slack.waitForMessages(1);
    expect(userTexts(model, 0)).toEqual(['what is this page?\n\n[file (page.html); attachment #1]\n<h1>502 Bad Gateway</h1>\n[end of file (page.html)]']);

    const shot = slack.addFile('shot.png', Buffer.from('PNG bytes'));
    model.enqueue({ text: 'A Grafana panel: p99 latency rising to 2 s at 14:05.' });
    await harness.send({ text: '', subtype: 'file_share', files: [{ name: 'shot.png', mimetype: 'image/png', url_private_download: shot }, { name: 'demo.mp4', mimetype: 'video/mp4', url_private_download: shot }] });
    await slack.waitForMessages(2);
    expect(model.chatRequests()[1]?.messages[1].content[1].image_url.url).toBe(`data:image/png;base64,${Buffer.from('PNG bytes').toString('base64')}`);
    expect(model.chatRequests()[2]?.messages.at(-1).content).toBe(
      '[image (shot.png), described by a vision model; attachment #2] A Grafana panel: p99 latency rising to 2 s at 14:05.\n\n[The message also carried a video (demo.mp4), which you cannot see or open. If the request depends on it, say so and ask for the content as text.]',
    );
  });

  it('shares a file the agent made in the thread, its caption as the comment in mrkdwn, escaped like any reply (files.uploadV2)', async () => {
    const { slack, harness, model } = await setup();
    const caption = 'The **weekly** report for <!channel>: a < b & c.';
    model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'report.md', content: '# Report\nAll green.\n', caption } }] }, { text: 'Shared report.md.' });
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> write the weekly report' });
    const [shared, answer] = await slack.waitForMessages(2, (p) => p.channel === 'C1');
    expect(shared).toMatchObject({ via: 'files.completeUploadExternal', threadTs: ts, text: 'The *weekly* report for &lt;!channel&gt;: a &lt; b &amp; c.' });
    expect(shared?.files?.map((file) => [file.name, file.bytes.toString()])).toEqual([['report.md', '# Report\nAll green.\n']]);
    expect(slack.callsTo('files.getUploadURLExternal')[0]?.body).toMatchObject({ filename: 'report.md', length: '20' });
    expect(answer).toMatchObject({ via: 'chat.postMessage', threadTs: ts, text: 'Shared report.md.' });
  });

  it('shares a file once when Slack fails after sharing it, and again when it failed before', async () => {
    const { slack, harness, model } = await setup();
    const sendFile = (name: string) => ({ toolCalls: [{ name: 'send_file', arguments: { name, content: 'x' } }] });
    slack.failNext('files.completeUploadExternal', 'outage-after-work');
    slack.failNext('files.completeUploadExternal', 'outage');
    model.enqueue(sendFile('one.txt'), sendFile('two.txt'), { text: 'Both sent.' });
    await harness.send({ text: 'two files please' });
    const posts = await slack.waitForMessages(3);
    expect(posts.map((p) => p.files?.[0]?.name ?? p.text)).toEqual(['one.txt', 'two.txt', 'Both sent.']);
    // The first: shared, then a 503; files.info showed it shared, so it was not sent again.
    // The second: a 503 before anything happened; files.info showed nothing, so it was sent again.
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(3);
    expect(slack.callsTo('files.info').map((call) => call.body.file)).toEqual(['F0001', 'F0002']);
  });

  it("drops other bots' messages and ignores edits and deletions", async () => {
    const { slack, harness, model } = await setup();
    await harness.send({ text: 'beep', user: null, botId: 'B2', subtype: 'bot_message' });
    const before = harness.delivered;
    expect((await harness.events.message({ text: 'edited', subtype: 'message_changed' })).status).toBe(200);
    expect((await harness.events.message({ text: '', subtype: 'message_deleted' })).status).toBe(200);
    await harness.send({ text: 'human here' });
    expect(harness.delivered).toBe(before + 1);
    expect((await slack.waitForMessages(1)).map((p) => p.text)).toEqual(['echo: human here']);
    expect(model.chatRequests()).toHaveLength(1);
  });

  it('acknowledges /cairn at once and answers through the response_url when the turn ends', async () => {
    const { slack, harness, gate } = await setup({ gated: true });
    expect(await harness.events.slash({ text: 'what is 2+2?' })).toBe(200);
    await until(() => gate!.calls() === 1, 'the turn to reach the model');
    expect(slack.posts).toEqual([]);
    gate!.open();
    const [reply] = await slack.waitForMessages(1);
    expect(reply).toMatchObject({ via: 'response_url', responseType: 'in_channel', channel: 'C1', text: 'echo: what is 2+2?' });
  });

  it('answers /cairn through its response_url again after a dropped connection (a network blip is retried)', async () => {
    const { slack, harness } = await setup();
    slack.failNext('response_url', 'reset');
    expect(await harness.events.slash({ text: 'what is 3+3?' })).toBe(200);
    const [reply] = await slack.waitForMessages(1);
    expect(reply).toMatchObject({ via: 'response_url', text: 'echo: what is 3+3?' });
    expect(slack.callsTo('response_url')).toHaveLength(2);
  });

  it('answers /cairn in the asker\'s direct chat when its response_url expired and Cairn is no member of the channel', async () => {
    const { slack, harness } = await setup();
    // An expired response_url answers 404; chat.postMessage in a channel the bot never joined, not_in_channel.
    slack.failNext('response_url', { status: 404 });
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await harness.events.slash({ text: 'what is 4+4?' })).toBe(200);
    const [reply] = await slack.waitForMessages(1);
    expect(reply).toMatchObject({ channel: 'U1', text: 'echo: what is 4+4?' });
  });

  it('runs chat commands from /cairn <command> and from @mentions, without the model', async () => {
    const { slack, harness, model } = await setup();
    expect(await harness.events.slash({ text: 'help' })).toBe(200);
    const [help] = await slack.waitForMessages(1);
    expect(help?.text).toContain('/new');
    expect(help?.text).toContain('/link');
    await harness.events.slash({ text: '' });
    await harness.send({ mention: true, channel: 'C2', text: '<@UBOT> /new' });
    const replies = await slack.waitForMessages(3);
    expect(replies[1]?.text).toContain('Commands:');
    expect(replies[2]).toMatchObject({ channel: 'C2', via: 'chat.postMessage' });
    expect(replies[2]?.text).toMatch(/new conversation/);
    await harness.events.slash({ text: 'frobnicate now', command: '/frobnicate' });
    expect((await slack.waitForMessages(4))[3]?.text).toContain('Unknown command /frobnicate');
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('pairs an unknown user in a DM and ignores them in channels', async () => {
    const { slack, harness, model } = await setup();
    await harness.send({ mention: true, channel: 'C1', user: 'U9', text: '<@UBOT> let me in' });
    await harness.send({ channel: 'D9', user: 'U9', text: 'hello?' });
    const [reply] = await slack.waitForMessages(1);
    expect(reply?.channel).toBe('D9');
    expect(reply?.text).toMatch(/pairing code is [A-Z0-9]{8}/);
    expect(slack.posts).toHaveLength(1);
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('shows a thinking reaction while the turn runs and posts one note when it runs long', async () => {
    const { slack, harness, timers, gate } = await setup({ gated: true });
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> a slow one' });
    const reaction = `C1:${ts}:${THINKING}`;
    await until(() => slack.reactions.has(reaction), 'the thinking reaction');
    expect(timers.active()).toEqual([20_000]);
    timers.fireAll();
    expect((await slack.waitForMessages(1))[0]).toMatchObject({ text: 'Still working on it…', threadTs: ts });
    gate!.open();
    expect((await slack.waitForMessages(2))[1]).toMatchObject({ text: 'echo: a slow one', threadTs: ts });
    await until(() => !slack.reactions.has(reaction), 'the reaction to be removed');
    expect(slack.reactionsAdded).toEqual([reaction]);
    expect(timers.active()).toEqual([]);
  });

  it('streams an answer into one message in the thread, updated as it grows; not for /cairn, whose response_url cannot be edited', async () => {
    const { slack, harness, model, timers } = await setup();
    const gates: (() => void)[] = [];
    const gate = () => new Promise<void>((resolve) => gates.push(resolve));
    model.enqueue({ stream: ['Working on **it**', gate(), ' and on', gate(), ' that.'] });
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> go' });
    (await timers.next(1_500)).fire();
    const [draft] = await slack.waitForMessages(1);
    expect(draft).toMatchObject({ channel: 'C1', threadTs: ts, text: 'Working on *it*', via: 'chat.postMessage' });
    gates[0]?.();
    // The next update is set once the draft was posted; while it shows, a long turn gets no note.
    (await timers.next(1_500)).fire();
    (await timers.next(20_000)).fire();
    await slack.waitForUpdates(1);
    gates[1]?.();
    const updates = await slack.waitForUpdates(2);
    expect(updates.map((u) => [u.ts, u.text])).toEqual([
      [draft?.ts, 'Working on *it* and on'],
      [draft?.ts, 'Working on *it* and on that.'],
    ]);
    expect(slack.posts).toHaveLength(1);

    model.enqueue({ stream: ['Slash', gate(), ' answer.'] });
    await harness.events.slash({ text: 'go on' });
    (await timers.next(1_500)).fire();
    gates[2]?.();
    const [, reply] = await slack.waitForMessages(2);
    expect(reply).toMatchObject({ via: 'response_url', text: 'Slash answer.' });
    expect(slack.updates).toHaveLength(2);
  });

  it("paces drafts streaming at once slower, since chat.update's limit is the workspace's", async () => {
    const { slack, harness, model, timers } = await setup();
    const gates: (() => void)[] = [];
    const gate = () => new Promise<void>((resolve) => gates.push(resolve));
    model.enqueue({ stream: ['First', gate(), ' done.'] }, { stream: ['Second', gate(), ' done.'] });
    await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> one' });
    await timers.next(1_500);
    await harness.send({ mention: true, channel: 'C2', text: '<@UBOT> two' });
    // Two drafts stream: each updates half as often.
    await timers.next(3_000);
    gates.forEach((open) => open());
    await slack.waitForMessages(2);
    expect(slack.posts.map((post) => post.text).sort()).toEqual(['First done.', 'Second done.']);
  });

  it('sends the answer of a long streamed turn as a new message, which notifies, and deletes its draft', async () => {
    let now = Date.UTC(2026, 11, 1, 12);
    const { slack, harness, model, timers } = await setup({ now: () => new Date(now) });
    let rest!: () => void;
    model.enqueue({ stream: ['Looking into it.', new Promise<void>((resolve) => (rest = resolve)), ' Found it.'] });
    const { ts } = await harness.send({ mention: true, channel: 'C1', text: '<@UBOT> why is the site down?' });
    (await timers.next(1_500)).fire();
    const [draft] = await slack.waitForMessages(1);
    now += 45_000;
    rest();
    const [, answer] = await slack.waitForMessages(2, (post) => post.channel === 'C1');
    expect(answer).toMatchObject({ threadTs: ts, text: 'Looking into it. Found it.', via: 'chat.postMessage' });
    expect(draft?.deleted).toBe(true);
    expect(slack.updates).toHaveLength(0);
  });

  it('a quick turn posts no progress note', async () => {
    const { slack, harness, timers } = await setup();
    const { ts } = await harness.send({ text: 'quick' });
    await slack.waitForMessages(1);
    await until(() => slack.reactions.size === 0, 'the reaction to be removed');
    expect(slack.reactionsAdded).toEqual([`D1:${ts}:${THINKING}`]);
    expect(timers.active()).toEqual([]);
    expect(slack.posts).toHaveLength(1);
  });

  it('answers messages sent while a turn runs in one reply, and takes the thinking reaction off each', async () => {
    const { slack, harness, gate } = await setup({ gated: true });
    const first = await harness.send({ text: 'a slow one' });
    await until(() => gate!.calls() === 1, 'the first turn');
    const second = await harness.send({ text: 'and the logs' });
    await harness.send({ text: 'from today' });
    gate!.open();
    const posts = await slack.waitForMessages(2);
    expect(posts.map((post) => post.text)).toEqual(['echo: a slow one', 'echo: and the logs\n\nfrom today']);
    await until(() => slack.reactions.size === 0, 'the reactions to be removed');
    // The hourglass goes on the first message of the two answered together.
    expect(slack.reactionsAdded).toEqual([`D1:${first.ts}:${THINKING}`, `D1:${second.ts}:${THINKING}`]);
    expect(gate!.calls()).toBe(2);
  });

  it('puts Approve and Deny buttons under an approval request; a press answers it as the one who pressed', async () => {
    const { slack, harness, model } = await setup({ env: { SLACK_ADMIN_USERS: 'U1', CAIRN_REFLECTION: 'off' } });
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
    await harness.send({ text: 'install it the quick way' });
    const [question] = await slack.waitForMessages(1);
    const id = /\/approve (\w+)/.exec(question?.text ?? '')?.[1] ?? '';
    expect(question?.buttons).toEqual([
      { label: 'Approve', value: `/approve ${id}` },
      { label: 'Deny', value: `/deny ${id}` },
    ]);
    expect(await harness.events.press({ value: `/deny ${id}`, messageTs: question?.ts ?? '' })).toBe(200);
    const posts = await slack.waitForMessages(3);
    expect(posts.slice(1).map((post) => [post.channel, post.text])).toEqual([
      ['D1', `Denied ${id}: the command will not run.`],
      ['D1', 'Left it alone.'],
    ]);
    // The question says how it was settled, its actions block gone.
    await slack.waitForUpdates(1);
    expect(slack.posts[0]?.text).toMatch(/\n🚫 Denied by Ada\.$/);
    expect(slack.posts[0]?.text).not.toContain('/approve');
    expect(slack.posts[0]?.buttons ?? []).toEqual([]);
  });

  it('answers "Ask Cairn" on a message (a message shortcut) about its words and files, in its thread', async () => {
    const { slack, harness, model } = await setup();
    const url = slack.addFile('numbers.txt', Buffer.from('Q3: 1.2 M EUR'));
    const message = { ts: '1600000500.000100', user: 'U2', text: 'are these right?', files: [{ name: 'numbers.txt', mimetype: 'text/plain', url_private_download: url, size: 13 }] };
    expect(await harness.events.askAbout({ message })).toBe(200);
    const [reply] = await slack.waitForMessages(1);
    expect(reply).toMatchObject({ channel: 'C1', threadTs: '1600000500.000100' });
    expect(userTexts(model, 0).at(-1)).toBe('[In reply to a message by Bo: "are these right?"]\n[file (numbers.txt) in the message replied to; attachment #1]\nQ3: 1.2 M EUR\n[end of file (numbers.txt) in the message replied to]');
  });

  it("keeps each chat of the assistant pane (a DM thread) apart, and shows \"is thinking…\" there while it works", async () => {
    const { slack, harness, model } = await setup();
    await harness.send({ text: 'my name is Ada', threadTs: '1600000700.000001' });
    await slack.waitForMessages(1);
    await harness.send({ text: 'what is my name?', threadTs: '1600000800.000001' });
    const [first, second] = await slack.waitForMessages(2);
    expect([first?.threadTs, second?.threadTs]).toEqual(['1600000700.000001', '1600000800.000001']);
    // The second chat does not see the first.
    expect(userTexts(model, 1)).toEqual(['what is my name?']);
    expect(slack.statuses).toEqual(['D1:1600000700.000001:is thinking…', 'D1:1600000800.000001:is thinking…']);

    // A new chat in the pane is offered prompts.
    const started = JSON.stringify(harness.events.envelope({ type: 'assistant_thread_started', assistant_thread: { user_id: 'U1', channel_id: 'D1', thread_ts: '1600000900.000001', context: {} }, event_ts: '1600000900.000002' }, 'EvStart1'));
    expect(await harness.events.raw(started, { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, started) })).toBe(200);
    await until(() => slack.suggested.length === 1, 'the suggested prompts');
    expect(slack.suggested).toEqual([{ channel: 'D1', threadTs: '1600000900.000001', titles: ['What can you do?', 'What do you remember about me?', 'What did we work on lately?'] }]);

    // Its first message names the chat in the pane's history; later ones, and chats started before, do not.
    await harness.send({ text: '\n  Why does the   nightly build fail on arm64 since we moved to the new runners?\nLogs attached.', threadTs: '1600000900.000001' });
    await harness.send({ text: 'and on x86?', threadTs: '1600000900.000001' });
    await slack.waitForMessages(4);
    expect(slack.titles).toEqual(['D1:1600000900.000001:Why does the nightly build fail on arm64 since we moved to…']);
  });

  it('refuses events with a bad signature or a stale timestamp (401)', async () => {
    const { harness, model } = await setup();
    const body = JSON.stringify(harness.events.envelope({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'forged', ts: '1.1' }, 'EvX'));
    expect(await harness.events.raw(body, signSlackRequest('not-the-secret', body))).toBe(401);
    expect(await harness.events.raw(body, signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000) - 600))).toBe(401);
    expect(await harness.events.raw(body, {})).toBe(401);
    expect((await fetch(harness.events.eventsUrl)).status).toBe(405);
    expect(harness.delivered).toBe(0);
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('waits out a rate limit and backs off through an outage on long replies', async () => {
    const { slack, harness, model } = await setup();
    model.enqueue({ text: 'x '.repeat(30_000) });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    slack.failNext('chat.postMessage', 'outage');
    await harness.send({ text: 'a long answer please' });
    const parts = await slack.waitForMessages(2);
    expect(parts.every((p) => p.text.length <= BLOCKS_LIMIT)).toBe(true);
    expect(harness.sleeps()[0]).toBe(3000);
    expect(harness.sleeps()).toHaveLength(2);
  });

  it('runs over Socket Mode with the app token: events and slash commands over the socket', async () => {
    const { slack, harness } = await setup({ socket: true });
    expect(slack.sockets()).toBe(1);
    expect(slack.callsTo('apps.connections.open')[0]?.token).toBe(slack.appToken);
    const event = { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'over the socket', ts: '1700.1' };
    await slack.pushSocket('events_api', harness.events.envelope(event, 'EvS1'));
    expect((await slack.waitForMessages(1))[0]?.text).toBe('echo: over the socket');
    const ack = await slack.pushSocket('slash_commands', { command: '/cairn', text: 'help', team_id: 'T1', channel_id: 'C1', user_id: 'U1', user_name: 'ada', trigger_id: 'tS', response_url: slack.responseUrl('C1') });
    expect(ack.envelope_id).toBeTruthy();
    expect((await slack.waitForMessages(2))[1]).toMatchObject({ via: 'response_url', channel: 'C1' });
    expect(await harness.events.raw('{}', {})).toBe(404);
    await harness.adapter.stop();
    await until(() => slack.sockets() === 0, 'the socket to close');
  });

  it('tells the user briefly when the model fails', async () => {
    const { slack, harness, model } = await setup();
    model.enqueue({ error: { status: 401 } });
    await harness.send({ text: 'hello' });
    const [reply] = await slack.waitForMessages(1);
    expect(reply?.text).toContain('cairn doctor');
  });
});

describe('cairn start with Slack (the adapter loaded the real way)', () => {
  let model: FakeModelServer;
  let slack: FakeSlackApi;
  beforeEach(async () => {
    model = await startFakeModelServer();
    slack = await startFakeSlackApi();
  });
  afterEach(async () => {
    await slack.close();
    await model.close();
  });

  it('finishes the turn in flight on shutdown, leaves new events for Slack to send again, then closes', async () => {
    const config = testConfig(model.url, slackEnv(slack, { CAIRN_HTTP_PORT: '0' }));
    const gate = gatedModel(config);
    const running = await startCairn(config, { host: '127.0.0.1', logger: silentLogger, model: gate.model, sleep: async () => undefined });
    expect(running.adapters.map((adapter) => adapter.platform)).toEqual(['slack']);
    const events = new SlackEventSender(`http://127.0.0.1:${running.port}/slack/events`, SIGNING_SECRET, slack);

    expect((await events.message({ text: 'a long job' })).status).toBe(200);
    await until(() => gate.calls() === 1, 'the turn to reach the model');
    const stopping = running.stop();
    // Not acknowledged (503): Slack sends it again, to the next start, rather than it being answered "send that again".
    expect((await events.message({ channel: 'D2', text: 'are you still there?' })).status).toBe(503);

    gate.open();
    await stopping;
    expect(slack.posts.map((p) => [p.channel, p.text])).toEqual([['D1', 'echo: a long job']]);
    expect(running.cairn.db.open).toBe(false);
    await expect(events.message({ text: 'after shutdown' })).rejects.toThrow();
  });
});

describe('Slack normalize', () => {
  const options: NormalizeOptions = { bot: { teamId: 'T1', userId: 'UBOT', botId: 'BBOT' }, channelSessions: 'thread', isCommand: (name) => ['new', 'help', 'memory'].includes(name), now: new Date(0) };
  const body = { team_id: 'T1', event_id: 'Ev1' };

  it('gives DMs, threads and channels their conversation ids and reply targets', () => {
    const dm = normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'hi', ts: '5.1' }, body, options);
    expect(dm?.message).toMatchObject({ conversationId: 'slack:T1:D1', userId: 'slack:T1:U1', senderId: 'U1', isDirect: true, addressed: true, messageId: 'D1:5.1' });
    expect(dm?.target).toEqual({ channel: 'D1', ts: '5.1' });
    // A DM thread (each chat of Slack's assistant pane is one) is a conversation of its own.
    const dmThread = normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'hi', ts: '5.3', thread_ts: '5.2' }, body, options);
    expect(dmThread?.message.conversationId).toBe('slack:T1:D1:5.2');
    expect(dmThread?.target).toEqual({ channel: 'D1', ts: '5.3', threadTs: '5.2' });
    const reply = normalizeEvent({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> hi', ts: '7.2', thread_ts: '6.0' }, body, options);
    expect(reply?.message).toMatchObject({ conversationId: 'slack:T1:C1:6.0', text: 'hi', isDirect: false, addressed: true });
    expect(reply?.target).toEqual({ channel: 'C1', ts: '7.2', threadTs: '6.0' });
    const perChannel = normalizeEvent({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> hi', ts: '7.2' }, body, { ...options, channelSessions: 'channel' });
    expect(perChannel?.message.conversationId).toBe('slack:T1:C1');
    expect(perChannel?.target.threadTs).toBe('7.2');
  });

  it('names shared files, which Cairn cannot open, by kind and name', () => {
    const shared = normalizeEvent(
      { type: 'message', subtype: 'file_share', channel: 'D1', channel_type: 'im', user: 'U1', text: '', ts: '8.1', files: [{ name: 'graph.png', mimetype: 'image/png' }, { name: 'notes.txt', mimetype: 'text/plain' }] },
      body,
      options,
    );
    expect(shared?.message).toMatchObject({ text: '', attachments: ['an image (graph.png)', 'a file (notes.txt)'] });
    expect(normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'hi', ts: '8.2' }, body, options)?.message.attachments).toBeUndefined();
  });

  it('flags own and other bots, and skips edits', () => {
    expect(normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'UBOT', bot_id: 'BBOT', text: 'me', ts: '1.1' }, body, options)?.message.isSelf).toBe(true);
    const other = normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', bot_id: 'B2', subtype: 'bot_message', text: 'beep', ts: '1.2' }, body, options)?.message;
    expect(other).toMatchObject({ isSelf: false, isBot: true });
    expect(normalizeEvent({ type: 'message', channel: 'D1', subtype: 'message_changed', ts: '1.3' }, body, options)).toBeUndefined();
    expect(normalizeEvent({ type: 'reaction_added' }, body, options)).toBeUndefined();
  });

  it('parses commands after the mention and in slash commands', () => {
    expect(normalizeEvent({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> /memory search cats', ts: '1.1' }, body, options)?.message.command).toEqual({ name: 'memory', args: 'search cats' });
    const slash = (text: string, command = '/cairn') =>
      normalizeSlashCommand({ command, text, team_id: 'T1', channel_id: 'C1', user_id: 'U1', user_name: 'ada', trigger_id: 't1' }, options)?.message;
    expect(slash('new')?.command).toEqual({ name: 'new', args: '' });
    expect(slash('/memory cats')?.command).toEqual({ name: 'memory', args: 'cats' });
    expect(slash('')?.command).toEqual({ name: 'help', args: '' });
    expect(slash('newer ideas please')?.command).toBeUndefined();
    expect(slash('x', '/new')?.command).toEqual({ name: 'new', args: 'x' });
    expect(slash('hello')).toMatchObject({ conversationId: 'slack:T1:C1', userName: 'ada', isDirect: false, addressed: true, messageId: 'command:t1' });
  });

  it('turns Slack markup into what the user typed', () => {
    expect(slackToPlain('a &lt;b&gt; &amp; <https://x.io|x.io> <https://y.io|docs> <#C1|general> <!here>')).toBe('a <b> & x.io docs (https://y.io) #general @here');
  });
});

describe('Slack render', () => {
  it('renders Markdown as mrkdwn and escapes control characters', () => {
    expect(toMrkdwn('**bold** and *it* and __b2__ and ~~gone~~')).toBe('*bold* and _it_ and *b2* and ~gone~');
    expect(toMrkdwn('# Title\n- one\n* two\n> quoted')).toBe('*Title*\n• one\n• two\n> quoted');
    expect(toMrkdwn('see [docs](https://x.io/a?b=1&c=2) or <https://y.io>')).toBe('see <https://x.io/a?b=1&amp;c=2|docs> or <https://y.io>');
    expect(toMrkdwn('[Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)).')).toBe('<https://en.wikipedia.org/wiki/Mercury_(planet)|Mercury>.');
    expect(toPlainText('[Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)).')).toBe('Mercury (https://en.wikipedia.org/wiki/Mercury_(planet)).');
    expect(toMrkdwn('1 < 2 & <!channel> `a<b>` snake_case_name 2*3*4')).toBe('1 &lt; 2 &amp; &lt;!channel&gt; `a&lt;b&gt;` snake_case_name 2*3*4');
    expect(toMrkdwn('```ts\nconst a = x < y && **not bold**;\n```')).toBe('```\nconst a = x &lt; y &amp;&amp; **not bold**;\n```');
  });

  it('keeps ```npm install``` on one line inline code, nests ***bold italic***, and cuts the preview before an emoji, not through it', () => {
    // Slack shows it as code itself; the line after it stays text.
    expect(toMrkdwn('```npm install```\nThen **run** the tests.')).toBe('```npm install```\nThen *run* the tests.');
    expect(toMrkdwn('***bold italic***')).toBe('*_bold italic_*');
    const [message] = renderMessages(`${'a'.repeat(298)}🚀 launched, and more words after it.`);
    // Half an emoji became another one (🐦) on its way through the Web API's form encoding.
    expect(message?.text).toBe(`${'a'.repeat(298)}…`);
    expect(threadTitle(`${'b'.repeat(58)}🚀 and the rest`)).toBe(`${'b'.repeat(58)}…`);
  });

  it('keeps each section under 3,000 characters and the blocks of each message under 12,000 together (msg_blocks_too_long)', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `Line ${i} has <tags> & ampersands & more & more.`).join('\n');
    const messages = renderMessages(text);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message.blocks.every((block) => block.text.text.length <= SECTION_LIMIT)).toBe(true);
      expect(message.blocks.map((block) => block.text.text).join('\n').length).toBeLessThanOrEqual(BLOCKS_LIMIT);
      expect(message.blocks.length).toBeLessThanOrEqual(50);
      expect(message.text.length).toBeLessThanOrEqual(300);
    }
    const shown = messages.map((m) => m.plain).join('\n');
    expect(shown.match(/Line \d+ /g)).toHaveLength(3000);
  });

  it('has a plain-text fallback without Markdown noise', () => {
    expect(toPlainText('**Bold** [x](https://x.io) <a> & b')).toBe('Bold x (https://x.io) &lt;a&gt; &amp; b');
  });
});

describe('Slack errors', () => {
  it('fails start with an auth error when Slack refuses the bot token', async () => {
    const slack = await startFakeSlackApi();
    const model = await startFakeModelServer();
    const cairn = startTestCairn(testConfig(model.url, slackEnv(slack, { SLACK_BOT_TOKEN: 'xoxb-revoked-token' })));
    try {
      const adapter = await createAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => undefined });
      await expect(adapter.start(cairn.gateway.receive)).rejects.toMatchObject({ code: 'auth', platform: 'slack', message: expect.stringContaining('SLACK_BOT_TOKEN') });
    } finally {
      await cairn.close();
      await model.close();
      await slack.close();
    }
  });

  it('needs an app token or a signing secret', async () => {
    const model = await startFakeModelServer();
    const cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: 'xoxb-some-token-value' }));
    try {
      expect(() => createAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands })).toThrow(/SLACK_APP_TOKEN/);
    } finally {
      await cairn.close();
      await model.close();
    }
  });

  it('maps Web API failures to CairnErrors at one place', () => {
    const rate = mapSlackError(new webApi.WebAPIRateLimitedError(7));
    expect(rate).toMatchObject({ code: 'rate_limit', retryAfterMs: 7000, isRetryable: true, platform: 'slack' });
    const platform = (error: string) => mapSlackError(new webApi.WebAPIPlatformError({ ok: false, error }));
    expect(platform('invalid_auth')).toMatchObject({ code: 'auth', isRetryable: false });
    expect(platform('missing_scope')).toMatchObject({ code: 'permission' });
    expect(platform('not_in_channel')).toMatchObject({ code: 'permission' });
    expect(platform('channel_not_found')).toMatchObject({ code: 'not_found' });
    expect(platform('internal_error')).toMatchObject({ code: 'unavailable', isRetryable: true });
    expect(platform('ratelimited')).toMatchObject({ code: 'rate_limit', isRetryable: true });
    const http = (status: number) => mapSlackError(new webApi.WebAPIHTTPError(status, 'x', {}, ''));
    expect(http(401)).toMatchObject({ code: 'auth', isRetryable: false });
    expect(http(403)).toMatchObject({ code: 'permission', isRetryable: false });
    expect(http(503)).toMatchObject({ code: 'unavailable', isRetryable: true });
    expect(mapSlackError(new webApi.WebAPIRequestError(new Error('ECONNREFUSED')))).toMatchObject({ code: 'network', isRetryable: true });
    const unreachable = new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND slack.com') });
    expect(mapSlackError(new webApi.WebAPIRequestError(unreachable)).message).toBe('Could not reach Slack: fetch failed (getaddrinfo ENOTFOUND slack.com)');
    expect(mapSlackError(Object.assign(new Error('x'), { code: 'slack_bolt_respond_error', statusCode: 500 }))).toMatchObject({ code: 'unavailable', isRetryable: true });
    expect(mapSlackError(new Error('boom'))).toBeInstanceOf(CairnError);
  });

  it('recognizes a markup rejection', () => {
    expect(isMarkupRejection(mapSlackError(new webApi.WebAPIPlatformError({ ok: false, error: 'invalid_blocks' })))).toBe(true);
    expect(isMarkupRejection(mapSlackError(new webApi.WebAPIPlatformError({ ok: false, error: 'msg_too_long' })))).toBe(true);
    expect(isMarkupRejection(mapSlackError(new webApi.WebAPIPlatformError({ ok: false, error: 'channel_not_found' })))).toBe(false);
  });
});

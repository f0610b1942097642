/**
 * The Telegram adapter's lifecycle as people meet it: a group upgraded mid-turn, the final
 * answer slowed down by a rate limit. Real grammY against the fake Bot API
 * (test/fakes/telegram-api.ts), with a loopback proxy in front that answers as the real Bot
 * API does where the fake has no such case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { startProxy, type Intercepted, type Proxy } from '../helpers/platform-proxy.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let adapter: TelegramAdapter | undefined;
let cairn: TestCairn | undefined;
let timers: ManualTimers;
let outcomes: string[] = [];
/** What the adapter asked to sleep for (retries); each sleep waits until the test lets it go, when `holdSleeps`. */
let sleeps: number[] = [];
let holdSleeps = false;
let wake: (() => void)[] = [];
let messageId = 1;

async function setUp(env: Record<string, string> = {}, intercept: (method: string, path: string, body: string) => Intercepted | undefined = () => undefined, requestTimeoutMs?: number): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeTelegram();
  proxy = await startProxy(fake.apiRoot, intercept);
  timers = new ManualTimers();
  sleeps = [];
  wake = [];
  holdSleeps = false;
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: String(USER.id), ...env }));
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    if (holdSleeps) await new Promise<void>((resolve) => wake.push(resolve));
  };
  adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep }, { timer: timers.timer, now: () => 1_700_000_000_000, ...(requestTimeoutMs ? { requestTimeoutMs } : {}) });
  cairn.gateway.attach(adapter);
  outcomes = [];
  await adapter.start(async (message) => {
    const outcome = await cairn!.gateway.receive(message);
    outcomes.push(outcome);
    return outcome;
  });
}

function message(text: string, extra: Record<string, unknown> = {}) {
  return { message_id: messageId++, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text, ...extra };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

/** What the user sees of a sent message: HTML tags gone. */
const visible = (body: Record<string, unknown>) => String(body.text ?? '').replace(/<[^>]+>/g, '');

afterEach(async () => {
  for (const resolve of wake) resolve();
  await adapter?.stop().catch(() => {});
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
  adapter = undefined;
  proxy = undefined;
  fake = undefined;
  cairn = undefined;
  model = undefined;
});

describe('telegram: a group upgraded to a supergroup while Cairn answers', () => {
  it('delivers the answer to the supergroup Telegram names (migrate_to_chat_id) instead of losing it', async () => {
    // Telegram moves a group to a new chat id when it becomes a supergroup (an admin enables topics,
    // makes it public, turns on visible history …); a send to the old id is refused with the new one.
    const OLD = -4_001;
    const NEW = -1_002_000_000_001;
    await setUp({ CAIRN_STREAM_REPLIES: 'false' }, (method, path, body) =>
      method === 'POST' && /\/send(Message|ChatAction)$/.test(path) && (JSON.parse(body || '{}') as { chat_id?: number }).chat_id === OLD
        ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: NEW } } }
        : undefined,
    );
    model!.enqueue({ text: 'The build is green again.' });
    fake!.pushUpdate({ message: message('@cairn_bot is the build green?', { chat: { id: OLD, type: 'group' }, entities: [{ type: 'mention', offset: 0, length: 10 }] }) });
    await until(() => outcomes.length === 1);
    expect(fake!.sent.map((body) => [body.chat_id, visible(body)])).toEqual([[NEW, 'The build is green again.']]);
  });
});

describe('telegram: the "still working" note and the end of a turn', () => {
  it('posts no "Still working on it…" once the answer is being delivered (a 429 on the final edit must not leave the note below the answer)', async () => {
    let limitNextEdit = false;
    await setUp({}, (method, path) => {
      if (method !== 'POST' || !path.endsWith('/editMessageText') || !limitNextEdit) return undefined;
      limitNextEdit = false;
      return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } } };
    });
    fake!.withoutDrafts();
    let rest!: () => void;
    model!.enqueue({ stream: ['Checking the logs.', new Promise<void>((resolve) => (rest = resolve)), ' The disk is full.'] });
    fake!.pushUpdate({ message: message('why is the site down?') });
    (await timers.next(1_500)).fire();
    const [draft] = await fake!.waitForSent(1);
    expect(visible(draft!)).toBe('Checking the logs.');
    // Telegram rate-limits the edit that puts the whole answer into the draft: the adapter waits retry_after.
    holdSleeps = true;
    limitNextEdit = true;
    rest();
    await until(() => sleeps.includes(3_000));
    // The turn's 20 s progress timer would come due while the answer waits out the rate limit: it is cancelled once the answer goes out.
    const progress = timers.scheduled.find((timer) => timer.ms === 20_000 && !timer.cancelled);
    progress?.fire();
    await new Promise((resolve) => setImmediate(resolve));
    holdSleeps = false;
    for (const resolve of wake.splice(0)) resolve();
    await until(() => outcomes.length === 1);
    expect(fake!.textOf(1000)).toBe('Checking the logs. The disk is full.');
    // The chat ends with the answer: no "still working" note was posted below it once it was done.
    expect(fake!.sent.map(visible)).toEqual(['Checking the logs.']);
  });
});

describe('telegram: a Bot API call that never answers', () => {
  it("gives the call up after the request timeout and sends the answer again, instead of waiting grammY's 500 s", async () => {
    let hangNext = true;
    await setUp(
      { CAIRN_STREAM_REPLIES: 'false' },
      (method, path) => {
        if (method !== 'POST' || !path.endsWith('/sendMessage') || !hangNext) return undefined;
        hangNext = false;
        return { status: 0, hang: true };
      },
      300,
    );
    model!.enqueue({ text: 'All green.' });
    fake!.pushUpdate({ message: message('status?') });
    await until(() => outcomes.length === 1);
    expect(fake!.sent.map(visible)).toEqual(['All green.']);
  });
});

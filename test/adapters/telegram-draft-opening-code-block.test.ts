/**
 * An answer that opens with a code block ("```bash" first) can show only that fence at the first
 * draft update: an empty code block, a text Telegram refuses (400 "message text is empty"). The
 * draft surface took any 400 from sendMessageDraft for the chat refusing Telegram's own drafts, and
 * streamed every later answer in that private chat into an edited message until Cairn restarted.
 * Such an update is now skipped; the next one, with words, is a draft as usual.
 *
 * The real Telegram adapter against the fake Bot API, behind a proxy that refuses a text showing
 * nothing, as Telegram does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { showsText } from '../../adapters/telegram/render.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let cairn: TestCairn | undefined;
let adapter: TelegramAdapter | undefined;

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

/** As Telegram: a text that shows nothing once its HTML is parsed is refused. */
function showsNothing(body: string): boolean {
  const text = String((JSON.parse(body || '{}') as { text?: unknown }).text ?? '');
  return text.replace(/<[^>]*>/g, '').trim() === '';
}

describe('telegram: a streamed answer that opens with a code block', () => {
  it("keeps Telegram's own drafts in the chat after a first update with nothing to show yet", async () => {
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    proxy = await startProxy(fake.apiRoot, (method, path, body) =>
      method === 'POST' && /\/(sendMessageDraft|sendMessage)$/.test(path) && showsNothing(body) ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } } : undefined,
    );
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: String(USER.id) }));
    const timers = new ManualTimers();
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer, now: () => 1_700_000_000_000 });
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);
    const message = (id: number, text: string) => ({ message_id: id, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text });

    let rest!: () => void;
    model.enqueue({ stream: ['```bash\n', new Promise<void>((resolve) => (rest = resolve)), 'ls -la\n```'] });
    fake.pushUpdate({ message: message(1, 'how do I list files?') });
    // The first update has only the opening fence: an empty code block. It is skipped (the next comes later, as after a failed one).
    (await timers.next(1_500)).fire();
    await until(() => timers.active().includes(3_000) || proxy!.seen.some((request) => /\/send(MessageDraft|Message)$/.test(request.path)));
    rest();
    const [answer] = await fake.waitForSent(1);
    expect(answer).toMatchObject({ text: '<pre><code class="language-bash">ls -la</code></pre>' });

    // The next turn streams into Telegram's own draft again, not into an edited message.
    let end!: () => void;
    model.enqueue({ stream: ['Sure, here it is', new Promise<void>((resolve) => (end = resolve)), '.'] });
    fake.pushUpdate({ message: message(2, 'and hidden ones?') });
    (await timers.next(1_500)).fire();
    await until(() => fake!.drafts.length + fake!.sent.length >= 2);
    expect(fake.drafts.map((draft) => draft.text)).toEqual(['Sure, here it is']);
    end();
    await fake.waitForSent(2);
  });

  it('knows a part that shows nothing', () => {
    expect(showsText({ html: '<pre><code class="language-bash"></code></pre>', plain: '```bash\n```' })).toBe(false);
    expect(showsText({ html: '<pre><code>&lt;</code></pre>', plain: '```\n<\n```' })).toBe(true);
  });
});

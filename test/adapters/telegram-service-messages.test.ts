/**
 * Service messages in a private chat (a pin, the auto-delete timer changed) are no messages to
 * answer, and a rolled die is no empty one: none gets "Your message was empty".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const CHAT = { id: 42, type: 'private', first_name: 'Ada', username: 'ada' };

describe('telegram service messages in a private chat', () => {
  let model: FakeModelServer;
  let fake: FakeTelegram;
  let cairn: TestCairn;
  let adapter: TelegramAdapter;

  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await cairn.close();
    await model.close();
  });

  async function setUp() {
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(USER.id), CAIRN_STREAM_REPLIES: 'false' }));
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);
  }

  const visible = (body: Record<string, unknown> | undefined) => String(body?.text ?? '').replace(/<[^>]+>/g, '');

  it('says nothing when the user pins one of its answers (pinned_message service message)', async () => {
    await setUp();
    // Telegram tells the bot with a service message, from the user, without text.
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, pinned_message: { message_id: 1000, date: 1_699_999_000, chat: CHAT, from: { id: 999, is_bot: true, first_name: 'Cairn', username: 'cairn_bot' }, text: 'Here is the plan.' } } });
    fake.pushUpdate({ message: { message_id: 8, date: 1_700_000_001, chat: CHAT, from: USER, text: 'thanks' } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).toBe('echo: thanks');
  });

  it('says nothing when the user changes the auto-delete timer (message_auto_delete_timer_changed)', async () => {
    await setUp();
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, message_auto_delete_timer_changed: { message_auto_delete_time: 86_400 } } });
    fake.pushUpdate({ message: { message_id: 8, date: 1_700_000_001, chat: CHAT, from: USER, text: 'thanks' } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).toBe('echo: thanks');
  });

  it('does not call a rolled die (🎲) an empty message', async () => {
    await setUp();
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, dice: { emoji: '🎲', value: 4 } } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).not.toMatch(/Your message was empty/);
  });
});

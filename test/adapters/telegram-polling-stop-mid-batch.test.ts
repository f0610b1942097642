/**
 * grammY's stop confirms the offset of the update being handled, but goes on handing over the rest of the batch it
 * fetched: those are Telegram's to send again, so once the adapter stops taking updates they are not taken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { testConfig } from '../helpers/cairn.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { CommandRegistry } from '../../src/core/commands.js';
import { silentLogger } from '../../src/core/logger.js';
import { eventually } from '../helpers/held-model.js';

const ADA = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const message = (text: string, id: number) => ({ message: { message_id: id, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: ADA, text } });

let fake: FakeTelegram | undefined;
let adapter: TelegramAdapter | undefined;
afterEach(async () => {
  await adapter?.stop();
  await fake?.close();
});

describe('Telegram long polling stopped in the middle of a batch', () => {
  it('takes the update being handled, confirms it, and leaves the rest of the batch to Telegram', async () => {
    fake = await startFakeTelegram();
    const config = testConfig('http://127.0.0.1:9/v1', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    const running = (adapter = new TelegramAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }));
    // One batch of two: the first is handled as the stop begins (a SIGTERM while grammY hands it over).
    fake.pushUpdate(message('first', 1));
    const second = fake.pushUpdate(message('second', 2));
    const received: string[] = [];
    await running.start(async (inbound) => {
      received.push(inbound.text);
      if (inbound.text === 'first') running.stopTaking();
      return 'turn';
    });
    await eventually(() => fake!.callsTo('getUpdates').some((body) => body.limit === 1), 'the confirming getUpdates');
    expect(received).toEqual(['first']);
    // The offset confirmed leaves the second update with Telegram.
    expect(fake.callsTo('getUpdates').find((body) => body.limit === 1)?.offset).toBe(second);
  });
});

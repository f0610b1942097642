/**
 * The Telegram webhook route reads an update's body only once the secret token matched, and at most
 * MAX_UPDATE_BYTES of it (grammY's 'http' adapter read any length into memory); a body that is no
 * update, or a method other than POST, gets a 4xx that says so instead of a 500.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { testConfig } from '../helpers/cairn.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { MAX_UPDATE_BYTES } from '../../adapters/telegram/webhook.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';

const SECRET = 's3cret-token';
const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const update = (text: string) => JSON.stringify({ update_id: 1, message: { message_id: 5, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: USER, text } });

describe('the Telegram webhook route', () => {
  let fake: FakeTelegram;
  let http: HttpServer;
  let adapter: TelegramAdapter;
  let port: number;
  const received: string[] = [];

  async function setUp(): Promise<void> {
    fake = await startFakeTelegram();
    const config = testConfig('http://127.0.0.1:9/v1', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook', TELEGRAM_WEBHOOK_SECRET: SECRET });
    http = new HttpServer();
    adapter = new TelegramAdapter({ config, http, logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} });
    port = await http.listen(0, '127.0.0.1');
    received.length = 0;
    await adapter.start(async (message) => (received.push(message.text), 'turn'));
  }

  afterEach(async () => {
    await adapter.stop();
    await http.close();
    await fake.close();
  });

  const send = (method: string, body: string | undefined, secret = SECRET) =>
    fetch(`http://127.0.0.1:${port}/hook`, { method, headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, ...(body === undefined ? {} : { body }) });

  it('refuses a body larger than any update with 413, sent whole or in chunks of unknown length', async () => {
    await setUp();
    const big = update('x'.repeat(MAX_UPDATE_BYTES));
    const whole = await send('POST', big);
    expect(whole.status).toBe(413);
    expect(await whole.text()).toMatch(/at most/);
    // Chunked: no content-length to go by, so the reading itself stops.
    const chunked = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (data: Buffer) => {
        answer += data.toString();
        if (!answer.includes('at most')) return;
        socket.destroy();
        resolve(answer);
      });
      socket.on('error', reject);
      socket.write(`POST /hook HTTP/1.1\r\nHost: cairn\r\nContent-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = 'x'.repeat(64 * 1024);
      for (let sent = 0; sent <= MAX_UPDATE_BYTES; sent += chunk.length) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      socket.write('0\r\n\r\n');
    });
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(received).toEqual([]);
    // An update of ordinary size still comes through.
    expect((await send('POST', update('hello'))).status).toBe(200);
    expect(received).toEqual(['hello']);
  });

  it('checks the secret before reading any of the body', async () => {
    await setUp();
    expect((await send('POST', update('x'.repeat(MAX_UPDATE_BYTES)), 'wrong')).status).toBe(401);
    expect((await send('POST', update('hi'), '')).status).toBe(401);
    const without = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: update('hi') });
    expect(without.status).toBe(401);
    expect(received).toEqual([]);
  });

  it('answers 400 to a body that is no JSON update and 405 to other methods, not 500', async () => {
    await setUp();
    expect((await send('POST', '{not json')).status).toBe(400);
    expect((await send('POST', '[1, 2]')).status).toBe(400);
    expect((await send('POST', '')).status).toBe(400);
    const get = await send('GET', undefined);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(received).toEqual([]);
  });
});

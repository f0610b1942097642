/**
 * The HTTP server of `cairn start` as seen from outside: a port it cannot have is a config error
 * naming CAIRN_HTTP_PORT; /healthz, open to whoever reaches the port, shows no credential even when
 * a platform's problem quotes one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { startCairn } from '../../src/cli/start.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { ConfigError } from '../../src/core/errors.js';

/** A bot token of the real shape (digits, a colon, 35 characters). */
const BOT_TOKEN = '1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the HTTP server, from outside', () => {
  it('refuses a port in use with a config error naming CAIRN_HTTP_PORT, not only "listen EADDRINUSE"', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      server = new HttpServer();
      const error = await server.listen(port, '127.0.0.1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`CAIRN_HTTP_PORT: port ${port} is already in use (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });

  it("does not show on /healthz the bot token held in the path of another instance's webhook URL", async () => {
    const telegram = await startFakeTelegram(BOT_TOKEN);
    const model = await startFakeModelServer();
    // Production takes updates at a URL whose secret path is the token (as Telegram's own docs once suggested).
    telegram.setWebhookFailure(`https://prod.example.com/${BOT_TOKEN}`, '', 0);
    const running = await startCairn(testConfig(model.url, { CAIRN_HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: telegram.apiRoot }), { logger: silentLogger, host: '127.0.0.1' });
    try {
      let body = '';
      await vi.waitFor(async () => {
        body = await (await fetch(`http://127.0.0.1:${running.port}/healthz`)).text();
        expect(body).toContain('A webhook is set for this bot (at https://prod.example.com):');
      });
      expect(body).not.toContain(BOT_TOKEN.split(':')[1]);
    } finally {
      await running.stop();
      await telegram.close();
      await model.close();
    }
  });
});

/**
 * An API root written with a trailing slash: grammY refused it ("Remove the trailing '/' from the
 * 'apiRoot' option"), so Telegram did not start; discord.js and Daytona's SDK would ask for `//…`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkPlatform } from '../../src/cli/doctor.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';

let telegram: FakeTelegram;
beforeEach(async () => {
  telegram = await startFakeTelegram();
});
afterEach(() => telegram.close());

describe('an API root written with a trailing slash', () => {
  it('TELEGRAM_API_ROOT=http://host:8081/ reaches the Bot API server', async () => {
    const config = loadConfig({ env: { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: `${telegram.apiRoot}/` }, dotenv: false });
    const result = await checkPlatform('telegram', config);
    expect(result).toMatchObject({ ok: true });
  });

  it('DISCORD_API_URL and DAYTONA_API_URL lose theirs too (their libraries add /v10/…, /sandbox)', () => {
    const config = loadConfig({ env: { DISCORD_API_URL: 'http://127.0.0.1:9/api/', DAYTONA_API_URL: 'http://127.0.0.1:9/api//' }, dotenv: false });
    expect([config.platforms.discord.apiUrl, config.backends.daytona.apiUrl]).toEqual(['http://127.0.0.1:9/api', 'http://127.0.0.1:9/api']);
  });
});

/**
 * A Telegram token pasted with a space in it, or with BotFather's URL "bot" prefix, is not a
 * token at all: Telegram answers 404 Not Found for it (401 Unauthorized is for a well-formed
 * token it does not know). `cairn doctor` and `cairn setup` then show
 * "✗ telegram: Telegram: Not Found." with nothing to fix named, where a wrong token says
 * "check TELEGRAM_BOT_TOKEN". The fake below answers as the Bot API does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkPlatform } from '../../src/cli/doctor.js';

let server: Server;
let apiRoot: string;

beforeEach(async () => {
  server = createServer((req, res) => {
    const token = decodeURIComponent(/^\/bot([^/]*)\//.exec(req.url ?? '')?.[1] ?? '');
    res.setHeader('content-type', 'application/json');
    // The Bot API's answers: a token of the form <digits>:<35 characters> is looked up (401 when unknown); anything else is no route.
    if (!/^\d+:[A-Za-z0-9_-]{35}$/.test(token)) return void res.writeHead(404).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
    res.writeHead(401).end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function check(token: string) {
  const config = loadConfig({ env: { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: apiRoot }, dotenv: false });
  return checkPlatform('telegram', config);
}

describe('the Telegram check of a token that is not one', () => {
  it('a token with a space in it is named as the thing to fix (TELEGRAM_BOT_TOKEN), not just "Not Found"', async () => {
    // As a well-formed token Telegram does not know is (the control).
    expect((await check('123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).detail).toMatch(/TELEGRAM_BOT_TOKEN/);
    const result = await check('123456789:AAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAA');
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/TELEGRAM_BOT_TOKEN/);
  });

  it('a token pasted with the "bot" prefix of the API URL is named as the thing to fix', async () => {
    const result = await check('bot123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/TELEGRAM_BOT_TOKEN/);
  });
});

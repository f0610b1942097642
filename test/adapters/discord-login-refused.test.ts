/**
 * A Discord login refused, as the person running Cairn meets it: the start fails saying what to
 * fix. discord.js says only "An invalid token was provided.", "Authentication failed" or "Used
 * disallowed intents" (which intent, and where to turn it on, it does not say). A clean stop,
 * for its part, is no lost connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, GUILD_ID, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../fakes/discord-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { testConfig } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';

let fake: FakeDiscord | undefined;
let adapter: DiscordAdapter | undefined;

afterEach(async () => {
  await adapter?.stop().catch(() => {});
  await fake?.close();
  adapter = undefined;
  fake = undefined;
});

async function startAgainst(options: FakeDiscordOptions, logger: Logger = silentLogger): Promise<unknown> {
  fake = await startFakeDiscord(options);
  const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl });
  adapter = new DiscordAdapter({ config, http: new HttpServer(), logger, commands: new CommandRegistry(), sleep: async () => {} }, { timer: new ManualTimers().timer });
  return adapter.start(async () => 'dropped-self').then(
    () => 'started',
    (error: unknown) => error,
  );
}

describe('discord: a login Discord refuses', () => {
  it('names DISCORD_TOKEN when the REST API refuses the token (401)', async () => {
    const failure = await startAgainst({ token: 'another.token' });
    expect(failure).toMatchObject({ code: 'auth', message: 'Discord refused the bot token: check DISCORD_TOKEN.' });
  });

  it('says to turn on the Message Content intent when the gateway closes with 4014 (disallowed intents)', async () => {
    const failure = await startAgainst({ refuseIdentify: 4014 });
    expect(failure).toMatchObject({ code: 'permission' });
    expect(String((failure as Error).message)).toMatch(/^Discord refused the gateway connection \(4014\): the Message Content intent is off; turn it on under Bot → Privileged Gateway Intents/);
  });

  it('names DISCORD_TOKEN when the gateway refuses the token (4004)', async () => {
    const failure = await startAgainst({ refuseIdentify: 4004 });
    expect(failure).toMatchObject({ code: 'auth' });
    expect(String((failure as Error).message)).toMatch(/\(4004\): the token was refused; set a valid DISCORD_TOKEN/);
  });
});

describe('discord: a clean stop', () => {
  it('logs no lost gateway connection (discord.js reports its own close as a drop it reconnects from)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void lines.push(line) } });
    expect(await startAgainst({}, logger)).toBe('started');
    await adapter!.stop();
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toContain('Discord connected');
    expect(messages.filter((message) => /lost|reconnecting/.test(message))).toEqual([]);
  });
});

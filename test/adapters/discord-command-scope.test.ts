/**
 * Where Cairn's slash commands are registered. Discord lists a server's commands and the global
 * ones side by side (guild and global commands may share names), so an operator who first ran
 * Cairn without DISCORD_GUILD_ID and then set it, as the README suggests for commands that show
 * at once, saw every command twice in that server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, GUILD_ID, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { testConfig } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';

let fake: FakeDiscord | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** One start and stop of Cairn on Discord, as `cairn start` would do it. */
async function runOnce(env: Record<string, string>): Promise<void> {
  const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: fake!.apiUrl, ...env });
  const adapter = new DiscordAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }, { timer: new ManualTimers().timer });
  try {
    await adapter.start(async () => 'dropped-self');
  } finally {
    await adapter.stop();
  }
}

describe('discord slash command scope', () => {
  it('removes the global commands of an earlier start once DISCORD_GUILD_ID is set, so the server lists each command once', async () => {
    fake = await startFakeDiscord();
    await runOnce({});
    expect(fake.commandsIn().map((command) => command.name)).toContain('ask');
    await runOnce({ DISCORD_GUILD_ID: GUILD_ID });
    expect(fake.commandsIn(GUILD_ID).map((command) => command.name)).toEqual(expect.arrayContaining(['ask', 'Ask Cairn']));
    expect(fake.commandsIn()).toEqual([]);
  });

  it('leaves the global commands alone without DISCORD_GUILD_ID, and asks nothing more when there are none to remove', async () => {
    fake = await startFakeDiscord();
    await runOnce({ DISCORD_GUILD_ID: GUILD_ID });
    expect(fake.calls.filter((call) => call.method === 'PUT' && call.path === `/applications/${APP_ID}/commands`)).toEqual([]);
    await runOnce({});
    expect(fake.commandsIn().map((command) => command.name)).toContain('ask');
  });
});

/** `cairn doctor`'s Discord check with DISCORD_GUILD_ID: the bot must be in that server for its slash commands. */
import { afterEach, describe, expect, it } from 'vitest';
import { checkDiscord } from '../../adapters/discord/check.js';
import { loadConfig } from '../../src/config/load.js';
import { APP_ID, GUILD_ID, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const configFor = (apiUrl: string, guildId: string) => loadConfig({ env: { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: guildId, DISCORD_API_URL: apiUrl }, dotenv: false });

describe('the Discord check with DISCORD_GUILD_ID', () => {
  it('passes when the bot is in that server', async () => {
    fake = await startFakeDiscord();
    expect(await checkDiscord(configFor(fake.apiUrl, GUILD_ID))).toContain(`slash commands in guild ${GUILD_ID}`);
  });

  it('fails, saying how to add the bot, when it is not in that server (its commands could not be registered there)', async () => {
    fake = await startFakeDiscord();
    await expect(checkDiscord(configFor(fake.apiUrl, '123456789012345678'))).rejects.toThrow(
      `The bot is not in the server DISCORD_GUILD_ID=123456789012345678, so its slash commands cannot be registered there: add it with https://discord.com/oauth2/authorize?client_id=${APP_ID}`,
    );
  });
});

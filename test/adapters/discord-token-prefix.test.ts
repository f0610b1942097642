/**
 * A token pasted with its "Bot " prefix (as an Authorization header shows it): discord.js's login
 * drops the prefix, so Cairn connected and answered, but its own REST clients sent it on and
 * Discord refused every file it sent (401) and `cairn doctor` called the token refused.
 */
import { afterEach, expect, it } from 'vitest';
import { APP_ID, DM_CHANNEL_ID, GUILD_ID, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { USER } from '../helpers/discord-rig.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { checkDiscord } from '../../adapters/discord/check.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

let model: FakeModelServer | undefined;
let fake: FakeDiscord | undefined;
let adapter: DiscordAdapter | undefined;
let cairn: TestCairn | undefined;
afterEach(async () => {
  await adapter?.stop().catch(() => {});
  adapter = undefined;
  await fake?.close();
  await cairn?.close();
  await model?.close();
});

it('a token pasted with its "Bot " prefix works for files and the doctor as it does for the rest', async () => {
  model = await startFakeModelServer();
  fake = await startFakeDiscord({ token: 'fake.discord.token' });
  cairn = startTestCairn(testConfig(model.url, { DISCORD_TOKEN: 'Bot fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: USER.id }));
  await expect(checkDiscord(cairn.config)).resolves.toContain('application');
  adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
  cairn.gateway.attach(adapter);
  await adapter.start((message) => cairn!.gateway.receive(message));
  model.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'fix.patch', content: '--- a\n+++ b\n', caption: 'The patch.' } }] }, { text: 'Sent fix.patch.' });
  fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000001', DM_CHANNEL_ID, USER, 'make a patch'), channel_type: 1 });
  const [file] = await fake.waitForSent(2);
  expect(file).toMatchObject({ content: 'The patch.' });
  expect((file?.body.files as { fileName: string }[])[0]?.fileName).toBe('fix.patch');
});

/** `cairn chat --user/--session`: a blank name or one with control characters is refused, saying what to give. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { runCli } from '../helpers/cli.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});

const env = () => ({ CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model' });

describe('cairn chat --user and --session', () => {
  it('refuses a blank name (an unset shell variable) instead of putting every such run in one conversation "console:"', async () => {
    for (const args of [['--user', ''], ['--session', '  '], ['--user', 'ada', '--session', '']]) {
      const run = await runCli(['chat', ...args], { input: 'what did we say before?\n', env: env() });
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`${args.at(-2)} needs a name`));
      expect(run.code).toBe(1);
    }
    expect(server.chatRequests()).toHaveLength(0);
  }, 60_000);

  it('refuses control characters in a name, which would reach the terminal and the prompt', async () => {
    const run = await runCli(['chat', '--user', 'ada\u001b[2J'], { input: 'hi\n', env: env() });
    expect(run.stderr).toContain('--user cannot hold control characters');
    expect(run.code).toBe(1);
  }, 60_000);

  it('takes a name with spaces, dots and colons as it is', async () => {
    const run = await runCli(['chat', '--user', 'Ada Lovelace', '--session', 'work:q3.plan'], { input: 'hi\n', env: env() });
    expect(run.stdout).toBe('echo: hi\n');
    expect(run.code).toBe(0);
  }, 60_000);
});

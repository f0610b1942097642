/**
 * Piped `cairn chat` prints one reply per line of its input, and nothing else: a scheduled task
 * of the session that comes due meanwhile is not run there (its answer would land in the script's
 * output and be gone from the person's sight); it waits for a chat in a terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { ScheduleStore } from '../../src/schedules/store.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});

describe('piped cairn chat and scheduled tasks', () => {
  it('prints only the answers to its input, and leaves a due reminder of the session for a chat in a terminal', async () => {
    const dataDir = tempDir('cairn-cli-data-');
    const env = { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model', CAIRN_DATA_DIR: dataDir, CAIRN_REFLECTION: 'off' };
    // The database made, then a reminder of `cairn chat --user ada`, due a minute ago.
    expect((await runCli(['chat', '--user', 'ada'], { input: '/help\n', env })).code).toBe(0);
    const db = openDatabase(databasePath(dataDir));
    const store = new ScheduleStore(db);
    const task = store.create({ conversationId: 'console:ada', platform: 'console', identity: 'console:ada', senderId: 'ada', userName: 'ada', isDirect: true, person: 'console:ada', prompt: 'Remind me to water the plants.', cron: undefined, timeZone: 'UTC', nextRunAt: Date.now() - 60_000, createdAt: Date.now() - 120_000 });
    db.close();

    const run = await runCli(['chat', '--user', 'ada'], { input: 'what is 2+2?\n', env });
    expect(run.stdout).toBe('echo: what is 2+2?\n');
    expect(run.code).toBe(0);
    const after = openDatabase(databasePath(dataDir));
    expect(new ScheduleStore(after).get(task.id)?.status).toBe('active');
    after.close();
  }, 60_000);
});

/** `cairn schedules cancel` takes a task's id as `cairn schedules list` prints it (`#5`) or bare. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { schedulesCommands } from '../../src/cli/schedules.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { ScheduleStore } from '../../src/schedules/store.js';
import { testConfig } from '../helpers/cairn.js';

function cli() {
  const config = testConfig('http://127.0.0.1:9');
  const printed: string[] = [];
  const program = new Command('cairn').exitOverride();
  schedulesCommands({ program, config: () => config, print: (line) => printed.push(line) });
  const run = (...args: string[]) => program.parseAsync(args, { from: 'user' });
  return { config, printed, run };
}

describe('cairn schedules cancel', () => {
  it('takes the id as the list prints it, "#2", or bare', async () => {
    const { config, printed, run } = cli();
    const db = openDatabase(databasePath(config.dataDir));
    const store = new ScheduleStore(db);
    for (const prompt of ['Water the plants.', 'Standup notes.']) {
      store.create({ conversationId: 'console:ada', platform: 'console', identity: 'console:ada', senderId: 'ada', userName: 'ada', isDirect: true, person: 'console:ada', prompt, cron: undefined, timeZone: 'UTC', nextRunAt: Date.now() + 60_000, createdAt: Date.now() });
    }
    db.close();

    await run('schedules', 'list');
    expect(printed.at(-1)).toMatch(/^#2 once, /);
    await run('schedules', 'cancel', '#2');
    await run('schedules', 'cancel', '1');
    expect(printed.slice(-2)).toEqual(['Cancelled task #2.', 'Cancelled task #1.']);
    await expect(run('schedules', 'cancel', '#two')).rejects.toThrow('id must be a number as the list shows it (#5 or 5), not "#two".');
  });
});

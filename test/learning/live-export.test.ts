/** Live chat tasks exported for fine-tuning: refused unless config allows it, valid OpenAI lines when it does. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';
import { recordsFromLiveTasks } from '../../src/rl/export/live-tasks.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { validateLine } from '../../src/rl/export/schemas.js';
import { tempDir } from '../helpers/cairn.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

describe('exporting live chat tasks', () => {
  it('is refused unless config allows it', async () => {
    rig = await learningRig();
    await rig.task('what time is it');
    const source = recordsFromLiveTasks(rig.cairn.db, { allowed: false, tools: [] });
    await expect(exportRecords([source], { format: 'openai', out: join(tempDir(), 'out.jsonl') })).rejects.toThrow(/CAIRN_EXPORT_LIVE_TASKS/);
  });

  it('writes each task with its system prompt, tools and a reward from its outcome', async () => {
    rig = await learningRig({ CAIRN_EXPORT_LIVE_TASKS: 'true' });
    expect(rig.cairn.config.rl.exportLiveTasks).toBe(true);
    await rig.task('what time is it');
    await rig.task('call the broken service', [{ name: 'broken' }]);
    const out = join(tempDir(), 'live.jsonl');
    const source = recordsFromLiveTasks(rig.cairn.db, { allowed: true, tools: rig.cairn.tools.definitions({ isAdmin: true }) });
    const stats = await exportRecords([source], { format: 'openai', out });
    expect(stats.written).toBe(2);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    for (const line of lines) expect(validateLine('openai', JSON.parse(line))).toEqual([]);
    const first = JSON.parse(lines[0]!);
    expect(first.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('You are Cairn') });
    expect(first.messages[1]).toMatchObject({ role: 'user', content: 'what time is it' });
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['current_time']);
  });
});

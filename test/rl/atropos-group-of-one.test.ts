/** `--group-size 1` without --keep-equal-scores: every group's scores are "all equal", so nothing would ever be sent. */
import { afterEach, describe, expect, it } from 'vitest';
import { serveAtropos } from '../../src/rl/atropos/environment.js';
import { startFakeAtropos, type FakeAtropos } from './fakes/atropos-server.js';
import { charTokenizer, quickAtroposClient, sampleTrajectory, serveOptions } from './helpers.js';

let atropos: FakeAtropos;
afterEach(async () => atropos?.close());

describe('cairn atropos serve --group-size 1', () => {
  it('refuses at the start, saying what to do, instead of running every task and sending nothing', async () => {
    atropos = await startFakeAtropos();
    await atropos.registerTrainer({ batchSize: 4 });
    await atropos.takeBatch();
    let runs = 0;
    const generate = async () => (runs++, sampleTrajectory({ source: 'atropos', reward: runs % 2 }));
    const tasks = [{ id: 'a', prompt: 'p', expected: 1 }, { id: 'b', prompt: 'q', expected: 1 }];
    await expect(serveAtropos(serveOptions({ client: quickAtroposClient(atropos.url), tokenizer: charTokenizer, generate, tasks, groupSize: 1 }))).rejects.toThrow(/--group-size 1.*--keep-equal-scores/);
    expect(runs).toBe(0);
    // With --keep-equal-scores, groups of one go.
    const stats = await serveAtropos(serveOptions({ client: quickAtroposClient(atropos.url), tokenizer: charTokenizer, generate, tasks, groupSize: 1, keepEqualScores: true }));
    expect(stats.groups.received).toBe(2);
  });
});

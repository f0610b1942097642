/**
 * `--reward` takes a path to a reward module. Every extension the custom loader imports is one:
 * .js, .mjs, .cjs (the CommonJS file one writes inside a "type": "module" package), .ts, .mts
 * and .cts, not only some, where the others were refused as unknown reward kinds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { Rewarder } from '../../src/rl/rewards/index.js';
import { parseRewardOption } from '../../src/rl/rewards/spec.js';
import { sampleTrajectory } from './helpers.js';

describe('--reward with a module path', () => {
  it.each(['./score.js', './score.mjs', './score.cjs', './score.ts', './score.mts', './score.cts'])('takes %s as a custom reward module', (path) => {
    expect(parseRewardOption(path, '/work/runs')).toEqual({ type: 'custom', module: `/work/runs/${path.slice(2)}` });
  });

  it('scores with a .cjs and a .cts module given so', async () => {
    const dir = tempDir('cairn-rl-');
    writeFileSync(join(dir, 'score.cjs'), 'exports.reward = function (trajectory, task, options) { return { score: 0.5, reason: "cjs" }; };\n');
    writeFileSync(join(dir, 'score.cts'), 'export function reward(): { score: number; reason: string } { return { score: 0.25, reason: "cts" }; }\n');
    for (const [file, score] of [['score.cjs', 0.5], ['score.cts', 0.25]] as const) {
      const rewarder = new Rewarder({ baseDir: dir, defaultSpec: parseRewardOption(`./${file}`, dir) });
      expect((await rewarder.apply(sampleTrajectory(), { id: 't', prompt: 'p' })).reward).toBe(score);
    }
  });
});

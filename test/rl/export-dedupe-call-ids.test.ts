/**
 * Dedupe by content: the same conversation from two runs differs only in its tool-call ids
 * (providers make up `call_…` ids per call). sharegpt and hermes lines carry no ids and were
 * written once; openai lines carry them and were written twice, and with two task ids (a prompt
 * listed twice) the two copies could fall on both sides of the validation split.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { recordFromTrajectory, type ExportSource } from '../../src/rl/export/source.js';
import type { OpenAIMessage, Trajectory } from '../../src/rl/trajectory.js';
import { sampleTrajectory } from './helpers.js';

/** Oslo and Tokyo asked in parallel; `results` answers the calls in that order of ids. */
function twoCalls(taskId: string, [oslo, tokyo]: [string, string], results: [string, string] = [oslo, tokyo]): Trajectory {
  const answer = (id: string): OpenAIMessage => ({ role: 'tool', content: id === oslo ? '10:00' : '18:00', tool_call_id: id, name: 'current_time' });
  return sampleTrajectory({
    taskId,
    messages: [
      { role: 'system', content: 'You are Cairn.' },
      { role: 'user', content: 'What time is it in Oslo and in Tokyo?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: oslo, type: 'function', function: { name: 'current_time', arguments: '{"timeZone":"Europe/Oslo"}' } },
          { id: tokyo, type: 'function', function: { name: 'current_time', arguments: '{"timeZone":"Asia/Tokyo"}' } },
        ],
      },
      answer(results[0]),
      answer(results[1]),
      { role: 'assistant', content: 'Oslo 10:00, Tokyo 18:00.' },
    ],
  });
}

async function* records(trajectories: readonly Trajectory[]): ExportSource {
  for (const trajectory of trajectories) yield recordFromTrajectory(trajectory);
}

describe('export dedupe and tool-call ids', () => {
  it('openai: the same conversation under other call ids is written once, with the ids it first had', async () => {
    const out = join(tempDir(), 'train.jsonl');
    const stats = await exportRecords([records([twoCalls('run-1', ['call_a1', 'call_a2']), twoCalls('run-2', ['call_b1', 'call_b2'])])], { format: 'openai', out });
    expect(stats).toMatchObject({ written: 1, skipped: { duplicate: 1 } });
    expect(readFileSync(out, 'utf8')).toContain('"call_a1"');
  });

  it('openai: results given in another order, or calls under one id pairing differently, are another conversation', async () => {
    const out = join(tempDir(), 'train.jsonl');
    const stats = await exportRecords([records([twoCalls('a', ['c1', 'c2']), twoCalls('b', ['c1', 'c2'], ['c2', 'c1'])])], { format: 'openai', out });
    expect(stats).toMatchObject({ written: 2, skipped: { duplicate: 0 } });
  });

  it('openai: a duplicate under another task id does not reach the validation file too', async () => {
    const out = join(tempDir(), 'train.jsonl');
    // One conversation under sixteen task ids: its copies fell about half in each file.
    const trajectories = Array.from({ length: 16 }, (_, i) => twoCalls(`q${i}`, [`call_${i}_1`, `call_${i}_2`]));
    const stats = await exportRecords([records(trajectories)], { format: 'openai', out, valSplit: 0.5 });
    expect(stats).toMatchObject({ written: 1, skipped: { duplicate: 15 } });
    expect(stats.train + stats.validation).toBe(1);
  });
});

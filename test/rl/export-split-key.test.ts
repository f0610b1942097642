/**
 * Exports are "redacted, then validated"; private keys are among the credential shapes
 * the README says become [redacted]. A key the agent read in two pages (read_file's
 * startLine), or with `head`, has its BEGIN line in one message and its END line in
 * another (or nowhere): the key's body must not reach the fine-tuning file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { recordFromTrajectory, type ExportSource } from '../../src/rl/export/source.js';
import { sampleTrajectory } from './helpers.js';
import type { Trajectory } from '../../src/rl/trajectory.js';

const BODY_1 = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn';
const BODY_2 = 'NhAAAAAwEAAQAAAYEAyQ8kKx4N2Zb9T8xAqLq7Rk3vXwYgHhQm1t6nGJ0PZcV4Kp2s9F';
const BODY_3 = 'Zx9jL0pQw3rT5yU7iO2aS4dF6gH8jK1lZ3xC5vB7nM9qW2eR4tY6uI8oP0aS2dF4gH';

function readInTwoPages(): Trajectory {
  const pageOne = `/home/me/.ssh/id_ed25519 (5 lines, 300 bytes); lines 1-3\n1│-----BEGIN OPENSSH PRIVATE KEY-----\n2│${BODY_1}\n3│${BODY_2}\n… 2 more lines: call again with startLine 4.`;
  const pageTwo = `/home/me/.ssh/id_ed25519 (5 lines, 300 bytes); lines 4-5\n4│${BODY_3}\n5│-----END OPENSSH PRIVATE KEY-----`;
  const tools = [{ type: 'function' as const, function: { name: 'read_file', description: 'Read a file.', parameters: { type: 'object', properties: { path: { type: 'string' }, startLine: { type: 'number' } } } } }];
  return sampleTrajectory({
    tools,
    messages: [
      { role: 'system', content: 'You are Cairn.' },
      { role: 'user', content: 'Is my SSH key passphrase-protected?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"~/.ssh/id_ed25519","maxLines":3}' } }] },
      { role: 'tool', tool_call_id: 'c1', name: 'read_file', content: pageOne },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'read_file', arguments: '{"path":"~/.ssh/id_ed25519","startLine":4}' } }] },
      { role: 'tool', tool_call_id: 'c2', name: 'read_file', content: pageTwo },
      { role: 'assistant', content: 'It is not protected by a passphrase (cipher "none").' },
    ],
  });
}

async function* source(trajectories: Trajectory[]): ExportSource {
  for (const trajectory of trajectories) yield recordFromTrajectory(trajectory);
}

describe('export redaction of a private key split across two tool results', () => {
  for (const format of ['openai', 'hermes'] as const) {
    it(`${format}: no line of the key's body reaches the training file`, async () => {
      const out = join(tempDir('cairn-export-'), 'train.jsonl');
      const stats = await exportRecords([source([readInTwoPages()])], { format, out });
      expect(stats.train).toBe(1);
      const text = readFileSync(out, 'utf8');
      for (const body of [BODY_1, BODY_2, BODY_3]) expect(text).not.toContain(body);
    });
  }
});

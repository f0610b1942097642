/**
 * Every test file's temporary files go under one folder of its own, removed when the file is
 * done: TMPDIR points there, so os.tmpdir() (tempDir, mkdtemp) and the processes a test starts
 * (CLI runs, batch workers) all write inside it, and a run leaves nothing behind in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'cairn-tests-'));
process.env.TMPDIR = root;

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

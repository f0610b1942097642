/** The `cairn` command's output going nowhere: a reader that went away (`| head`) and a full disk, as real processes. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { NoteStore } from '../../src/memory/notes/store.js';

// Real `cairn` processes: on two busy cores each can take several seconds to start.
vi.setConfig({ testTimeout: 60_000 });

/** Runs `cairn …` with its stdout read until the first chunk, then closed, as `| head -1` does. */
function cairnIntoHead(args: string[], dataDir: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), ...args], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a listing piped into head', () => {
  it('stops quietly with exit code 141 when the reader goes away, without a stack trace', async () => {
    const dataDir = tempDir('cairn-head-');
    const db = openDatabase(databasePath(dataDir));
    const long = 'x'.repeat(1000);
    new NoteStore(db).import('console:ada', Array.from({ length: 2000 }, (_, i) => ({ text: `note ${i} ${long}`, kind: 'note', origin: 'import' as const, createdAt: Date.UTC(2026, 0, 1) + i })));
    db.close();
    const run = await cairnIntoHead(['memory', 'export', '--user', 'console:ada'], dataDir);
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.stderr).not.toContain('Unhandled');
    expect(run.code).toBe(141);
  });
});

describe('a listing written to a full disk', () => {
  it.runIf(existsSync('/dev/full'))('fails with exit code 1 and says why, instead of exit 0 with a cut file', async () => {
    const dataDir = tempDir('cairn-full-');
    const db = openDatabase(databasePath(dataDir));
    new NoteStore(db).import('console:ada', [{ text: 'Ada prefers tea', kind: 'note', origin: 'import' as const, createdAt: Date.UTC(2026, 0, 1) }]);
    db.close();
    const full = openSync('/dev/full', 'w');
    try {
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), 'memory', 'export', '--user', 'console:ada'], {
          cwd: dataDir,
          env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir },
          stdio: ['ignore', full, 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(run.stderr).toContain('cairn: writing the output failed: ENOSPC');
      expect(run.code).toBe(1);
    } finally {
      closeSync(full);
    }
  });
});

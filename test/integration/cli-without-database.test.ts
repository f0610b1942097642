/** Operator commands run where Cairn never ran: no stray database made, and a word on stderr saying there is none. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';

// Real `cairn` processes: on two busy cores each can take several seconds to start.
vi.setConfig({ testTimeout: 60_000 });

describe('operator commands where Cairn never ran (another folder, a mistyped CAIRN_DATA_DIR)', () => {
  it('make no database there, and say on stderr that there is none', async () => {
    const cwd = tempDir('cairn-elsewhere-');
    const dataDir = join(cwd, 'data');
    const env = { CAIRN_DATA_DIR: dataDir };
    const approve = await runCli(['pairing', 'approve', 'ABCD1234'], { cwd, env });
    expect(approve.code).toBe(1);
    expect(approve.stderr).toContain(`There is no database at ${join(dataDir, 'cairn.db')}`);
    const notes = await runCli(['memory', 'list', '--user', 'slack:T1:U1', '--json'], { cwd, env });
    expect(notes).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(notes.stderr).toContain('There is no database at');
    const tasks = await runCli(['tasks', 'list', '--json'], { cwd, env });
    expect(tasks).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(tasks.stderr).toContain('There is no database at');
    expect((await runCli(['schedules', 'cancel', '3'], { cwd, env })).code).toBe(1);
    expect((await runCli(['skills', 'approve', '3'], { cwd, env })).code).toBe(1);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('make one for an import (a new install may start with notes), saying where', async () => {
    const cwd = tempDir('cairn-new-install-');
    const dataDir = join(cwd, 'data');
    const file = join(cwd, 'notes.jsonl');
    writeFileSync(file, `${JSON.stringify({ text: 'Ada prefers tea', created_at: '2026-03-01' })}\n`);
    const run = await runCli(['memory', 'import', '--user', 'console:ada', file], { cwd, env: { CAIRN_DATA_DIR: dataDir } });
    expect(run).toMatchObject({ code: 0, stdout: 'Imported 1 notes for console:ada.\n' });
    expect(run.stderr).toContain(`There was no database at ${join(dataDir, 'cairn.db')}`);
    expect(existsSync(join(dataDir, 'cairn.db'))).toBe(true);
  });
});

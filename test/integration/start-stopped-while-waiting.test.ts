/** `cairn start` stopped (SIGTERM, as `docker stop` sends) while it waits for an earlier run's lease, as a real process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { databasePath, openDatabase } from '../../src/store/db.js';

// Real `cairn` processes: on two busy cores each can take several seconds to start.
vi.setConfig({ testTimeout: 60_000 });

describe('cairn start stopped while it waits for an earlier run\'s lease', () => {
  it('gives up the start at once and exits 0, connecting nothing and taking no lease', async () => {
    const dataDir = tempDir('cairn-lease-wait-');
    const db = openDatabase(databasePath(dataDir));
    // A run on another host (a container restarted elsewhere) that may be gone: the start waits up to 30 s to see.
    db.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', 4711, 'host-a', ?, ?)").run(Date.now(), Date.now());
    db.close();
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), 'start'], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', CAIRN_MODEL: 'm', CAIRN_HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
      if (output.includes('waiting for its lease')) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(output).toContain('waiting for its lease');
    expect(output).not.toContain('HTTP server listening');
    expect(code).toBe(0);
    const after = openDatabase(databasePath(dataDir));
    expect(after.prepare("SELECT holder FROM instance_lease WHERE name = 'start'").pluck().get()).toBe('h');
    after.close();
  });
});

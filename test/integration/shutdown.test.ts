/** SIGTERM during a turn: the turn is given the grace period, the user is told, the database closes cleanly. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});

describe('shutdown of cairn chat', () => {
  it('ends a turn stuck past the grace period, tells the user, and leaves a valid database', async () => {
    server.enqueue({ hang: true });
    const dataDir = tempDir();
    const child = spawn(process.execPath, ['bin/cairn.js', 'chat', '--user', 'ada'], {
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'm', CAIRN_SHUTDOWN_GRACE_MS: '100' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write('this will hang\n');
    // Poll (not sleep) until the child process has reached the model.
    while (server.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    // An error reply: on stderr, as piped stdout carries answers only.
    expect(stderr).toContain('Your message is saved');
    expect(stdout).toBe('');
    const db = new Database(join(dataDir, 'cairn.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT content FROM messages WHERE role = 'user'").pluck().all()).toEqual(['this will hang']);
    db.close();
  });
});

describe('shutdown of cairn start', () => {
  it('exits 0 after a clean stop on SIGTERM (a service manager reads 143 as a failed stop)', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ['bin/cairn.js', 'start'], {
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'm', CAIRN_HTTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<void>((resolve) => {
      const read = (d: Buffer) => {
        output += d.toString();
        if (output.includes('HTTP server listening')) resolve();
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await listening;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('shutting down');
  });
});

/**
 * write_file on the local back end keeps who owns the file it replaces. Cairn run as root (a
 * host install under sudo or systemd without `User=`) replaced a user's file with one owned by
 * root:root, which that user could then no longer edit; a file in a shared group lost the group.
 */
import { chownSync, chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { replaceFile } from '../../src/backends/replace-file.js';
import { TEST_PATH, tempDir } from './helpers.js';

const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('write_file keeps the owner and group of the file it replaces (Cairn run as root)', () => {
  it('gives the new content the old owner and group, still by rename', async () => {
    const dir = tempDir('cairn-owner-');
    const path = join(dir, 'notes.md');
    writeFileSync(path, 'old\n');
    chownSync(path, 1234, 2345);
    chmodSync(path, 0o640);
    const before = statSync(path).ino;
    await replaceFile(path, Buffer.from('new\n'));
    const after = statSync(path);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect({ uid: after.uid, gid: after.gid, mode: after.mode & 0o7777 }).toEqual({ uid: 1234, gid: 2345, mode: 0o640 });
    // Still replaced whole, not written into.
    expect(after.ino).not.toBe(before);
  });

  it('keeps a set-group-id bit, which giving the owner clears', async () => {
    const dir = tempDir('cairn-owner-');
    const path = join(dir, 'tool');
    writeFileSync(path, '#!/bin/sh\n');
    chownSync(path, 0, 2345);
    chmodSync(path, 0o2755);
    await replaceFile(path, Buffer.from('#!/bin/sh\necho new\n'));
    expect(statSync(path).mode & 0o7777).toBe(0o2755);
    expect(statSync(path).gid).toBe(2345);
  });

  it('through the environment, as the write_file tool calls it', async () => {
    const backend = new LocalBackend({ workRoot: tempDir('cairn-owner-'), defaultTimeoutMs: 10_000 });
    const environment = await backend.start(`owner-${process.pid}`, { env: { PATH: TEST_PATH } });
    try {
      const path = join(environment.workdir, 'app.conf');
      writeFileSync(path, 'port=1\n');
      chownSync(path, 1234, 1234);
      await environment.writeFile('app.conf', Buffer.from('port=2\n'));
      expect(readFileSync(path, 'utf8')).toBe('port=2\n');
      expect([statSync(path).uid, statSync(path).gid]).toEqual([1234, 1234]);
    } finally {
      await environment.stop();
    }
  });
});

/**
 * write_file never leaves half a file: a write cut short keeps the old content, and what a
 * replaced path is (its mode, a symlink, a hard link) stays as it was. Both the local back end
 * (replace-file.ts) and the shell script every other back end runs (writeFileCommand).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceFile } from '../../src/backends/replace-file.js';
import { writeFileCommand } from '../../src/backends/shell.js';
import { TEST_PATH, tempDir } from './helpers.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');
/** Runs the shell back ends' write script with this stdin; its exit code. */
function shellWrite(path: string, stdin: string, cwd: string): number {
  return spawnSync('/bin/sh', ['-c', writeFileCommand(path)], { input: stdin, cwd, env: { PATH: TEST_PATH, HOME: cwd } }).status ?? -1;
}

describe('the shell back ends\' write script', () => {
  it('keeps the old file whole when the content arrives broken (a transfer cut off)', () => {
    const dir = tempDir('cairn-write-');
    writeFileSync(join(dir, 'notes.md'), 'the old notes, all of them\n');
    // Valid base64 for the start, then garbage: base64 -d has written part of it when it fails.
    const status = shellWrite('notes.md', `${base64('x'.repeat(6000))}\n!!!! not base64 !!!!\n`, dir);
    expect(status).not.toBe(0);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('the old notes, all of them\n');
    expect(readdirSync(dir)).toEqual(['notes.md']);
  });

  it('keeps an executable script executable', () => {
    const dir = tempDir('cairn-write-');
    writeFileSync(join(dir, 'run.sh'), 'echo old\n');
    chmodSync(join(dir, 'run.sh'), 0o750);
    expect(shellWrite('run.sh', base64('echo new\n'), dir)).toBe(0);
    expect(readFileSync(join(dir, 'run.sh'), 'utf8')).toBe('echo new\n');
    expect(statSync(join(dir, 'run.sh')).mode & 0o777).toBe(0o750);
  });

  it('writes through a symlink and into every hard link, leaving the links as they were', () => {
    const dir = tempDir('cairn-write-');
    writeFileSync(join(dir, 'real.conf'), 'old\n');
    symlinkSync('real.conf', join(dir, 'link.conf'));
    writeFileSync(join(dir, 'a.txt'), 'old\n');
    linkSync(join(dir, 'a.txt'), join(dir, 'b.txt'));
    expect(shellWrite('link.conf', base64('via link\n'), dir)).toBe(0);
    expect(shellWrite('a.txt', base64('both\n'), dir)).toBe(0);
    expect(lstatSync(join(dir, 'link.conf')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.conf'), 'utf8')).toBe('via link\n');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('both\n');
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.txt', 'link.conf', 'real.conf']);
  });

  it('creates a new file and its directories, and a dangling link\'s target', () => {
    const dir = tempDir('cairn-write-');
    symlinkSync('made-later.txt', join(dir, 'pointer'));
    expect(shellWrite('deep/er/new.txt', base64('new\n'), dir)).toBe(0);
    expect(shellWrite('pointer', base64('target\n'), dir)).toBe(0);
    expect(readFileSync(join(dir, 'deep/er/new.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'made-later.txt'), 'utf8')).toBe('target\n');
    expect(lstatSync(join(dir, 'pointer')).isSymbolicLink()).toBe(true);
  });
});

describe('the local back end\'s write', () => {
  it('replaces a file by rename, keeping its mode, and leaves no temporary file', async () => {
    const dir = tempDir('cairn-write-');
    const path = join(dir, 'run.sh');
    writeFileSync(path, 'echo old\n');
    chmodSync(path, 0o754);
    const before = statSync(path).ino;
    await replaceFile(path, Buffer.from('echo new\n'));
    expect(readFileSync(path, 'utf8')).toBe('echo new\n');
    // A new inode: readers that had the file open keep the old content whole; none sees half.
    expect(statSync(path).ino).not.toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o754);
    expect(readdirSync(dir)).toEqual(['run.sh']);
  });

  it('leaves the old file whole when the write fails', async () => {
    const dir = tempDir('cairn-write-');
    const path = join(dir, 'notes.md');
    writeFileSync(path, 'old\n');
    // Content that cannot be written: a detached buffer fails after the temporary file is opened.
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await expect(replaceFile(path, detached)).rejects.toThrow();
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['notes.md']);
  });

  it('writes through symlinks (also dangling ones) and into hard-linked files, keeping the links', async () => {
    const dir = tempDir('cairn-write-');
    writeFileSync(join(dir, 'real.conf'), 'old\n');
    symlinkSync('real.conf', join(dir, 'link.conf'));
    symlinkSync('made-later.txt', join(dir, 'pointer'));
    writeFileSync(join(dir, 'a.txt'), 'old\n');
    linkSync(join(dir, 'a.txt'), join(dir, 'b.txt'));
    await replaceFile(join(dir, 'link.conf'), Buffer.from('via link\n'));
    await replaceFile(join(dir, 'pointer'), Buffer.from('target\n'));
    await replaceFile(join(dir, 'a.txt'), Buffer.from('both\n'));
    expect(lstatSync(join(dir, 'link.conf')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.conf'), 'utf8')).toBe('via link\n');
    expect(readFileSync(join(dir, 'made-later.txt'), 'utf8')).toBe('target\n');
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('both\n');
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'b.txt', 'link.conf', 'made-later.txt', 'pointer', 'real.conf']);
  });
});

it('the scripts are plain sh (dash parses them)', () => {
  expect(() => execFileSync('/bin/sh', ['-n', '-c', writeFileCommand('x')])).not.toThrow();
});

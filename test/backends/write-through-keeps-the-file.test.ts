/**
 * write_file into something it must not replace (a FIFO, a device node, another user's file,
 * through a symlink or not) writes into it and leaves it there. Node's copyFile, used for that,
 * removes its target when a step fails: ftruncate fails on a FIFO or device, fchmod on a file
 * Cairn does not own. A write to /dev/null by Cairn run as root removed /dev/null; a write into a
 * hard-linked file of another user, by Cairn not root, removed that name of it. A file of another
 * user replaced by rename became Cairn's own (and lost its group).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replaceFile } from '../../src/backends/replace-file.js';
import { writeFileCommand } from '../../src/backends/shell.js';
import { TEST_PATH, tempDir } from './helpers.js';

const asRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

describe('write_file into a FIFO or a device', () => {
  it('hands a FIFO the content and leaves it a FIFO', async () => {
    const dir = tempDir('cairn-through-');
    const fifo = join(dir, 'events');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((done) => reader.on('close', done));
    await replaceFile(fifo, Buffer.from('started\n'));
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('started\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it.skipIf(!asRoot)('writes to a null device and leaves the device node (as /dev/null)', async () => {
    const dir = tempDir('cairn-through-');
    const device = join(dir, 'null');
    // The same device as /dev/null (character 1,3), in a folder of the test's own.
    expect(spawnSync('mknod', [device, 'c', '1', '3']).status).toBe(0);
    await replaceFile(device, Buffer.from('discarded\n'));
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
  });
});

/** Runs replaceFile as the user nobody, in the supplementary group 2345. */
function writeAsNobody(path: string, text: string, home: string): { status: number | null; stderr: string } {
  const module = pathToFileURL(resolve('src/backends/replace-file.ts')).href;
  const script = `const { replaceFile } = await import(${JSON.stringify(module)}); await replaceFile(process.argv[1], Buffer.from(process.argv[2]));`;
  const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--groups=2345', '--', process.execPath, '--import', 'tsx', '-e', script, path, text], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: home, HOME: home } });
  return { status: result.status, stderr: result.stderr };
}

describe.skipIf(!asRoot || !hasSetpriv)('write_file by Cairn not root, into a file of another user it may write to', () => {
  /** A folder everyone can reach and write in, with a file of user 1234 that group 2345 may write. */
  function shared(): { dir: string; file: string } {
    chmodSync(process.env.TMPDIR ?? '/tmp', 0o755);
    const dir = tempDir('cairn-through-');
    chmodSync(dir, 0o777);
    const file = join(dir, 'team.conf');
    writeFileSync(file, 'old\n');
    chownSync(file, 1234, 2345);
    chmodSync(file, 0o664);
    mkdirSync(join(dir, 'home'), { mode: 0o777 });
    chmodSync(join(dir, 'home'), 0o777);
    return { dir, file };
  }

  it('with another hard link: both names keep the file, which gets the content and keeps its owner', () => {
    const { dir, file } = shared();
    linkSync(file, join(dir, 'team-copy.conf'));
    expect(writeAsNobody(file, 'new\n', join(dir, 'home'))).toMatchObject({ status: 0 });
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'team-copy.conf'), 'utf8')).toBe('new\n');
    expect([statSync(file).uid, statSync(file).gid, statSync(file).nlink]).toEqual([1234, 2345, 2]);
  });

  it('through a symlink: the file behind it gets the content and keeps its owner; the link stays a link', () => {
    const { dir, file } = shared();
    symlinkSync('team.conf', join(dir, 'link.conf'));
    expect(writeAsNobody(join(dir, 'link.conf'), 'new\n', join(dir, 'home'))).toMatchObject({ status: 0 });
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect([statSync(file).uid, statSync(file).gid]).toEqual([1234, 2345]);
    expect(lstatSync(join(dir, 'link.conf')).isSymbolicLink()).toBe(true);
  });

  it('by its own path: written in place, since the new copy cannot be given to its owner', () => {
    const { dir, file } = shared();
    const before = statSync(file).ino;
    expect(writeAsNobody(file, 'new\n', join(dir, 'home'))).toMatchObject({ status: 0 });
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect({ ino: statSync(file).ino, uid: statSync(file).uid, gid: statSync(file).gid }).toEqual({ ino: before, uid: 1234, gid: 2345 });
  });

  it("its own file in a group it is in: replaced by rename, keeping the group (not nobody's own)", () => {
    const { dir, file } = shared();
    chownSync(file, 65534, 2345);
    const before = statSync(file).ino;
    expect(writeAsNobody(file, 'new\n', join(dir, 'home'))).toMatchObject({ status: 0 });
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).ino).not.toBe(before);
    expect([statSync(file).uid, statSync(file).gid]).toEqual([65534, 2345]);
  });

  it("the shell back ends' write script: another user's file keeps its owner; its own keeps the group it is in", () => {
    const { dir, file } = shared();
    const mine = join(dir, 'mine.conf');
    writeFileSync(mine, 'old\n');
    chownSync(mine, 65534, 2345);
    const before = { file: statSync(file).ino, mine: statSync(mine).ino };
    const shellWrite = (path: string) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--groups=2345', '--', '/bin/sh', '-c', writeFileCommand(path)], { input: Buffer.from('new\n').toString('base64'), cwd: dir, env: { PATH: TEST_PATH } }).status;
    expect([shellWrite('team.conf'), shellWrite('mine.conf')]).toEqual([0, 0]);
    expect([readFileSync(file, 'utf8'), readFileSync(mine, 'utf8')]).toEqual(['new\n', 'new\n']);
    expect({ ino: statSync(file).ino, uid: statSync(file).uid, gid: statSync(file).gid }).toEqual({ ino: before.file, uid: 1234, gid: 2345 });
    expect(statSync(mine).ino).not.toBe(before.mine);
    expect([statSync(mine).uid, statSync(mine).gid]).toEqual([65534, 2345]);
    expect(readdirSync(dir).sort()).toEqual(['home', 'mine.conf', 'team.conf']);
  });
});

/**
 * The session's working directory: a `cd` that worked is kept whatever ends the command (its
 * timeout's SIGKILL, an EXIT trap of its own replacing the one that saves it, `set -C`), a
 * one-off cwd moves nothing, and a one-off cwd under `~` is the home's, as the file tools and
 * the shell read it.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { ModalBackend } from '../../src/backends/modal.js';
import { ProcessTransport } from '../../src/backends/process-transport.js';
import { ShellEnvironment } from '../../src/backends/shell-environment.js';
import { fakeModalApi } from '../fakes/modal-api.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

/** A local environment whose command timeouts are fired by hand. */
function localWithTimers(name: string, timers: ManualTimers): ShellEnvironment {
  const root = tempDir('cairn-cwd-');
  const workdir = join(root, name);
  const stateDir = join(root, '.state', name);
  mkdirSync(workdir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const env = { PATH: TEST_PATH };
  return new ShellEnvironment({
    backend: 'local',
    sessionId: name,
    workdir,
    stateDir,
    env,
    transport: new ProcessTransport((script) => ['/bin/sh', ['-c', script]], { cwd: root, env }),
    defaultTimeoutMs: 60_000,
    timers,
  });
}

/** Runs `command` (which touches `started` in the session's directory once it got going) and times it out. */
async function timeOut(environment: ShellEnvironment, timers: ManualTimers, request: { command: string; cwd?: string }): Promise<void> {
  const running = environment.exec(request);
  await vi.waitFor(() => expect(existsSync(join(environment.workdir, 'started'))).toBe(true), { timeout: 10_000 });
  timers.fireAll();
  expect((await running).timedOut).toBe(true);
}

describe('the working directory across commands', () => {
  it('keeps where a command moved when its timeout killed it (no EXIT trap runs under SIGKILL)', async () => {
    const timers = new ManualTimers();
    const environment = localWithTimers(`timeout-cd-${process.pid}`, timers);
    try {
      // `cd project && npm test` where the tests hang.
      await timeOut(environment, timers, { command: 'mkdir -p project && cd project && touch ../started && sleep 30' });
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe(`${join(environment.workdir, 'project')}\n`);
      // A command with a one-off cwd moves the session nowhere, timed out or not.
      await environment.exec({ command: 'rm -f ../started' });
      await timeOut(environment, timers, { command: 'touch started && sleep 30', cwd: environment.workdir });
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe(`${join(environment.workdir, 'project')}\n`);
    } finally {
      await environment.stop();
    }
  });

  it('keeps where a command moved when it set an EXIT trap of its own, or `set -C`', async () => {
    const environment = await new LocalBackend({ workRoot: tempDir('cairn-cwd-trap-'), defaultTimeoutMs: 10_000 }).start(`trap-cd-${process.pid}`, { env: { PATH: TEST_PATH } });
    try {
      // A common script idiom: clean up a temporary file whatever happens.
      const first = await environment.exec({ command: 'mkdir -p build && cd build && tmp=$(mktemp) && trap \'rm -f "$tmp"\' EXIT && echo configured && false' });
      expect(first).toMatchObject({ exitCode: 1, stdout: 'configured\n' });
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe(`${join(environment.workdir, 'build')}\n`);
      // noclobber: a plain `>` could not replace the saved directory.
      await environment.exec({ command: 'set -C; mkdir -p out && cd out' });
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe(`${join(environment.workdir, 'build', 'out')}\n`);
    } finally {
      await environment.stop();
    }
  });
});

describe('a one-off cwd under ~', () => {
  it('local: cwd "~/proj" is $HOME/proj, where write_file put ~/proj/notes.txt, and "~" is $HOME', async () => {
    const home = realpathSync(tempDir('cairn-home-'));
    const environment = await new LocalBackend({ workRoot: tempDir('cairn-tilde-'), defaultTimeoutMs: 10_000 }).start(`tilde-${process.pid}`, { env: { PATH: TEST_PATH, HOME: home } });
    try {
      await environment.writeFile('~/proj/notes.txt', Buffer.from('hello\n'));
      expect(await environment.exec({ command: 'pwd; cat notes.txt', cwd: '~/proj' })).toMatchObject({ exitCode: 0, stdout: `${join(home, 'proj')}\nhello\n`, stderr: '' });
      expect((await environment.exec({ command: 'pwd', cwd: '~' })).stdout).toBe(`${home}\n`);
      // Only a leading ~ is the home's.
      mkdirSync(join(environment.workdir, 'a~b'));
      expect((await environment.exec({ command: 'pwd', cwd: 'a~b' })).stdout).toBe(`${join(environment.workdir, 'a~b')}\n`);
    } finally {
      await environment.stop();
    }
  });

  it("shell back ends (modal here): cwd \"~/proj\" is the home's proj, as read_file's \"~/proj/x\" is", async () => {
    const api = fakeModalApi();
    const environment = await new ModalBackend({ api, image: 'debian:bookworm-slim', workdir: '/workspace', timeoutMinutes: 60, idleMinutes: 30, defaultTimeoutMs: 10_000 }).start(`tilde-modal-${process.pid}`, {
      env: { HOME: realpathSync(tempDir('cairn-home-')) },
    });
    try {
      await environment.writeFile('~/proj/notes.txt', Buffer.from('hello\n'));
      expect(await environment.exec({ command: 'cat notes.txt', cwd: '~/proj' })).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: '' });
    } finally {
      await environment.stop();
    }
  });
});

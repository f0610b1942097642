/**
 * The command timeout and /stop hold whatever the transport is doing: starting the command
 * (an ssh connection gone silent, a Docker engine that stopped answering), running it, or
 * sending its kill. Each starts the kill grace at once, and when the grace is over the command
 * is given up. A transport the test controls by hand, and timers fired by hand: nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from '../../src/backends/shell-environment.js';
import { ManualTimers } from './helpers.js';

const KILL_GRACE_MS = 3_000;

interface Started {
  script: string;
  control: boolean;
  /** Lets the start finish, with a process that ends when `exit` is called. */
  finish(): FakeProcess;
}

interface FakeProcess extends TransportRun {
  abandoned: boolean;
  exit(code: number): void;
}

/** Every start waits until the test lets it finish. */
class HandTransport implements ShellTransport {
  readonly supportsStdin = true;
  readonly starts: Started[] = [];

  run(script: string, options: RunOptions): Promise<TransportRun> {
    return new Promise((resolve) => {
      this.starts.push({
        script,
        control: options.control === true,
        finish: () => {
          let exit!: (code: number) => void;
          const process: FakeProcess = {
            abandoned: false,
            done: new Promise((resolveDone) => (exit = resolveDone)),
            abandon: () => (process.abandoned = true),
            exit: (code) => exit(code),
          };
          resolve(process);
          return process;
        },
      });
    });
  }

  async close(): Promise<void> {}
}

function environment() {
  const transport = new HandTransport();
  const timers = new ManualTimers();
  const env = new ShellEnvironment({ backend: 'ssh', sessionId: 's1', workdir: '/work', stateDir: '/state', env: {}, transport, defaultTimeoutMs: 10_000, timers });
  return { env, transport, timers };
}

/** Lets promise callbacks run (the transport's start finishing, the kill being sent). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('timeout and /stop while a start hangs', () => {
  it('a command whose start never finishes ends at its timeout and the grace after it', async () => {
    const { env, timers } = environment();
    const running = env.exec({ command: 'echo never', timeoutMs: 5_000 });
    expect(timers.delays()).toEqual([5_000]);
    timers.fireAll();
    // The grace runs from the timeout, though nothing started and nothing could be killed.
    expect(timers.delays()).toEqual([KILL_GRACE_MS]);
    timers.fireAll();
    expect(await running).toMatchObject({ timedOut: true, exitCode: null, stdout: '' });
  });

  it('/stop ends the wait for a start that never finishes', async () => {
    const { env, timers } = environment();
    const stop = new AbortController();
    const running = env.exec({ command: 'echo never', timeoutMs: 60_000, signal: stop.signal });
    stop.abort(new Error('stopped by the user'));
    expect(timers.delays()).toEqual([60_000, KILL_GRACE_MS]);
    timers.fireAll();
    await expect(running).rejects.toThrow('stopped by the user');
  });

  it('the grace starts at the timeout, not once the kill got through', async () => {
    const { env, transport, timers } = environment();
    const running = env.exec({ command: 'sleep 60', timeoutMs: 5_000 });
    const command = transport.starts[0]!.finish();
    await settle();
    timers.fireAll();
    await settle();
    // The kill went out on a second exec, which never starts either (the connection died).
    expect(transport.starts.map((start) => start.control)).toEqual([false, true]);
    expect(timers.delays()).toEqual([KILL_GRACE_MS]);
    timers.fireAll();
    expect(await running).toMatchObject({ timedOut: true, exitCode: null });
    expect(command.abandoned).toBe(true);
  });

  it('a command that starts after it was given up is killed, then let go of', async () => {
    const { env, transport, timers } = environment();
    const running = env.exec({ command: 'sleep 60', timeoutMs: 5_000 });
    timers.fireAll();
    timers.fireAll();
    expect((await running).timedOut).toBe(true);
    const late = transport.starts[0]!.finish();
    await settle();
    const kill = transport.starts[1];
    expect(kill?.control).toBe(true);
    expect(late.abandoned).toBe(false);
    kill!.finish().exit(0);
    await settle();
    expect(late.abandoned).toBe(true);
  });

  it('a command that ends in time reports its exit code, and nothing is left scheduled', async () => {
    const { env, transport, timers } = environment();
    const running = env.exec({ command: 'true', timeoutMs: 5_000 });
    transport.starts[0]!.finish().exit(0);
    expect(await running).toMatchObject({ timedOut: false, exitCode: 0 });
    expect(timers.delays()).toEqual([]);
    expect(transport.starts).toHaveLength(1);
  });
});

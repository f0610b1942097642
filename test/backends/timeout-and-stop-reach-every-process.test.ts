/**
 * "A timeout kills the command and every process it started", and stopping an environment ends
 * what its commands left running, also for processes that leave the command's process group
 * (coreutils `timeout` calls setpgid) or its session (daemons: ssh-agent, `redis-server
 * --daemonize yes`, anything started with setsid), and without touching another environment's.
 */
import { existsSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { isAlive } from './helpers.js';
import { forLocalAndSsh } from './local-and-ssh.js';

/** What `eval "$(ssh-agent -s)"` does: a new session, stdio closed, the parent gone at once. */
const DAEMON = "setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' < /dev/null > /dev/null 2>&1 &";
const daemonStarted = `${DAEMON} while [ ! -s daemon.pid ]; do sleep 0.05; done; echo ok`;

forLocalAndSsh('timeouts and stop reach every process', ({ start, pidFrom, shortTimeoutMs }) => {
  it('a timeout kills a command run under `timeout N`, which leads a process group of its own', async () => {
    const environment = await start('under-timeout');
    // A model's own safety net (`timeout 600 python train.py`) with Cairn's timeout coming first.
    const result = await environment.exec({ command: "timeout 60 sh -c 'echo $$ > loop.pid; while :; do sleep 0.05; done'", timeoutMs: shortTimeoutMs() });
    expect(result.timedOut).toBe(true);
    expect(isAlive(pidFrom(environment, 'loop.pid'))).toBe(false);
  }, 30_000);

  it('a timeout kills a daemon the command started, out of its session', async () => {
    const environment = await start('timeout-daemon');
    const result = await environment.exec({ command: `${daemonStarted}; sleep 60`, timeoutMs: shortTimeoutMs() });
    expect(result.timedOut).toBe(true);
    expect(isAlive(pidFrom(environment, 'daemon.pid'))).toBe(false);
  }, 30_000);

  it('stopping the environment ends a daemon its command started', async () => {
    const environment = await start('daemon');
    expect((await environment.exec({ command: daemonStarted })).stdout).toBe('ok\n');
    const daemon = pidFrom(environment, 'daemon.pid');
    expect(isAlive(daemon)).toBe(true);
    await environment.stop();
    expect(existsSync(environment.workdir)).toBe(false);
    await vi.waitFor(() => expect(isAlive(daemon)).toBe(false));
  }, 30_000);

  it("stopping one environment leaves another's daemons running", async () => {
    const [mine, theirs] = await Promise.all([start('mine'), start('theirs')]);
    await Promise.all([mine.exec({ command: daemonStarted }), theirs.exec({ command: daemonStarted })]);
    const [myDaemon, theirDaemon] = [pidFrom(mine, 'daemon.pid'), pidFrom(theirs, 'daemon.pid')];
    await mine.stop();
    await vi.waitFor(() => expect(isAlive(myDaemon)).toBe(false));
    expect(isAlive(theirDaemon)).toBe(true);
  }, 30_000);
});

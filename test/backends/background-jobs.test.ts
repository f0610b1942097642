/**
 * A job a command leaves running (`python3 -m http.server &`, `npm run dev &`, written without a
 * redirection, as models write them): the command returns when it ends, not at its timeout, and
 * the job runs on until the environment stops, even while it goes on printing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { isAlive } from './helpers.js';
import { forLocalAndSsh } from './local-and-ssh.js';

/** Long enough that waiting for it is unmistakable; the ssh server here takes up to 2 s to start a command. */
const TIMEOUT_MS = 15_000;

forLocalAndSsh('a job left running with &', ({ start, pidFrom }) => {
  it('returns when the command ends, with its output, and the job keeps running', async () => {
    const environment = await start('job');
    const result = await environment.exec({ command: 'sleep 60 & echo $! > job.pid; echo started; echo note >&2', timeoutMs: TIMEOUT_MS });
    const job = pidFrom(environment, 'job.pid');
    expect(result).toMatchObject({ stdout: 'started\n', stderr: 'note\n', exitCode: 0, timedOut: false });
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(isAlive(job)).toBe(true);
  }, 30_000);

  it('keeps a job that goes on printing alive (its writes never fail), and stopping the environment ends it', async () => {
    const environment = await start('printing');
    const command = '(while :; do date +%s%N; date +%s%N >> ticks; sleep 0.02; done) & echo $! > job.pid; sleep 0.1; echo started';
    const result = await environment.exec({ command, timeoutMs: TIMEOUT_MS });
    const job = pidFrom(environment, 'job.pid');
    expect(result.timedOut).toBe(false);
    expect(result.stdout).toContain('started\n');
    const ticks = () => readFileSync(`${environment.workdir}/ticks`, 'utf8').split('\n').length;
    const atReturn = ticks();
    // A job writing to a closed pipe would have died of SIGPIPE at its first line.
    await vi.waitFor(() => expect(ticks()).toBeGreaterThan(atReturn + 10), { timeout: 5_000 });
    expect(isAlive(job)).toBe(true);
    await environment.stop();
    expect(existsSync(environment.workdir)).toBe(false);
    await vi.waitFor(() => expect(isAlive(job)).toBe(false));
  }, 30_000);
});

/**
 * A command that timed out on a connection that stopped answering (a NAT or VPN that dropped its
 * state): the kill goes out on that connection and never gets through, so the command runs on.
 * The model must not read that it was killed. A transport the test drives by hand, timers fired
 * by hand (a real frozen ssh connection would make the test wait out a real timeout).
 */
import { expect, it } from 'vitest';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from '../../src/backends/shell-environment.js';
import { formatResult } from '../../src/tools/terminal.js';
import { timedOutLine } from '../../src/cli/backend.js';
import { ManualTimers } from './helpers.js';

/** The command starts; the kill's exec never does (`killAnswers` false) or runs at once. */
class SilentKillTransport implements ShellTransport {
  readonly supportsStdin = true;
  private runs = 0;
  constructor(private readonly killAnswers: boolean) {}
  run(_script: string, _options: RunOptions): Promise<TransportRun> {
    this.runs++;
    if (this.runs === 1) return Promise.resolve({ done: new Promise<number | null>(() => undefined), abandon: () => undefined });
    return this.killAnswers ? Promise.resolve({ done: Promise.resolve(0), abandon: () => undefined }) : new Promise(() => undefined);
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

it('says the command may still run when the kill at its timeout did not get through, and that it was killed when it did', async () => {
  const timedOut = async (killAnswers: boolean) => {
    const timers = new ManualTimers();
    const env = new ShellEnvironment({ backend: 'ssh', sessionId: 's', workdir: '/w', stateDir: '/state', env: {}, transport: new SilentKillTransport(killAnswers), defaultTimeoutMs: 5_000, timers });
    const running = env.exec({ command: 'sleep 600' });
    await settle();
    timers.fireAll(); // the timeout: the kill goes out
    await settle();
    timers.fireAll(); // the grace: the command is given up
    return running;
  };
  const unreached = await timedOut(false);
  expect(unreached).toMatchObject({ timedOut: true, exitCode: null, stillRunning: true });
  expect(formatResult(unreached, 12_000, 5)).toBe('timed out after 5 s; the kill sent then did not get through (the connection stopped answering), so the command may still be running there: check (ps) before running it again\n(no output)');
  const killed = await timedOut(true);
  expect(killed.stillRunning).toBeUndefined();
  expect(formatResult(killed, 12_000, 5)).toMatch(/^timed out after 5 s: the command and every process it started were killed\n/);
});

it('has `cairn exec` say the same: "killed" only when the kill got through', () => {
  expect(timedOutLine({ stillRunning: true }, 5)).toBe('cairn exec: timed out after 5 s; the kill sent then did not get through (the connection stopped answering), so the command may still be running on the back end: check (ps) before running it again.');
  expect(timedOutLine({}, 5)).toBe('cairn exec: timed out after 5 s; the command and everything it started were killed.');
});

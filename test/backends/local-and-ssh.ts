/**
 * Runs a suite on the local back end and on the ssh back end against a real sshd on this
 * machine: the shell wrapper's handling of processes is the same on both, and with the ssh
 * server here, the tests can look at the processes a command left behind. The ssh suite is
 * skipped, saying why, where sshd cannot run. Environments started through `start` are stopped
 * after each test, and pids handed to `remember` are killed at the end whatever the outcome,
 * so a failing test leaves nothing running.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { SshBackend } from '../../src/backends/ssh.js';
import type { Environment } from '../../src/backends/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { TEST_PATH, startTime, tempDir } from './helpers.js';
import { sshdUnavailable, startSshd, type Sshd } from './sshd.js';

export interface ProcessBackend {
  name: 'local' | 'ssh';
  /**
   * A short command timeout that still leaves a command time to start and write down its pid:
   * an ssh server may take seconds to start one (the login shell reads the user's rc files).
   */
  shortTimeoutMs(): number;
  /** Starts an environment, stopped after the test. */
  start(label: string): Promise<Environment>;
  /** Reads a pid a command wrote to a file in its environment; the process is killed after the file's tests. */
  pidFrom(environment: Environment, file: string): number;
}

export function forLocalAndSsh(title: string, body: (backend: ProcessBackend) => void): void {
  const sshSkip = sshdUnavailable();
  for (const name of ['local', 'ssh'] as const) {
    const skip = name === 'ssh' ? sshSkip : undefined;
    describe.skipIf(skip !== undefined)(`${title} (${name}${skip ? `, skipped: ${skip}` : ''})`, () => {
      let sshd: Sshd | undefined;
      const environments: Environment[] = [];
      const started: { pid: number; since: string | undefined }[] = [];
      const workRoot = tempDir(`cairn-${name}-processes-`);
      const backend = () => {
        if (name === 'local') return new LocalBackend({ workRoot, defaultTimeoutMs: 10_000 });
        if (!sshd) throw new Error('sshd not started');
        return new SshBackend({ host: '127.0.0.1', port: sshd.port, user: sshd.user, key: sshd.userKey, knownHosts: sshd.knownHosts, insecureIgnoreHostKey: false, workRoot, connectTimeoutMs: 5_000, defaultTimeoutMs: 10_000, logger: silentLogger });
      };
      let shortTimeoutMs = 1_000;
      beforeAll(async () => {
        if (name !== 'ssh') return;
        sshd = await startSshd();
        const probe = await backend().start(`probe-${process.pid}`, { env: { PATH: TEST_PATH } });
        shortTimeoutMs = Math.max(shortTimeoutMs, 2 * (await probe.exec({ command: 'true' })).durationMs + 500);
        await probe.stop();
      }, 30_000);
      afterEach(async () => {
        await Promise.all(environments.splice(0).map((environment) => environment.stop().catch(() => undefined)));
      }, 30_000);
      afterAll(async () => {
        // Only a process still the one remembered: its pid may belong to another since.
        for (const { pid, since } of started) if (since !== undefined && startTime(pid) === since) process.kill(pid, 'SIGKILL');
        await sshd?.stop();
      });
      body({
        name,
        shortTimeoutMs: () => shortTimeoutMs,
        start: async (label) => {
          const environment = await backend().start(`${label}-${process.pid}`, { env: { PATH: TEST_PATH } });
          environments.push(environment);
          return environment;
        },
        pidFrom: (environment, file) => {
          const pid = Number(readFileSync(`${environment.workdir}/${file}`, 'utf8').trim());
          if (pid > 1) started.push({ pid, since: startTime(pid) });
          return pid;
        },
      });
    });
  }
}

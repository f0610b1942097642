/**
 * The contract every execution back end passes. Each back end's test file calls
 * `backendContract` with a harness; where the back end cannot run here the suite
 * is skipped and its title says why.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/backends/types.js';

export interface ContractHarness {
  /** Why the suite cannot run here; undefined when it can. */
  skip: string | undefined;
  start(sessionId: string): Promise<Environment>;
  /** True once nothing of the stopped environment is left (directory, container, sandbox). */
  isCleanedUp(environment: Environment): Promise<boolean>;
  /** Starts what the back end talks to (a server, a fake); runs before the suite. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

export function backendContract(name: string, probe: ContractHarness): void {
  const title = probe.skip ? `${name} back end contract (skipped: ${probe.skip})` : `${name} back end contract`;
  describe.skipIf(probe.skip !== undefined)(title, () => {
    const started: Environment[] = [];
    const start = async (label: string) => {
      const environment = await probe.start(`contract-${label}-${randomBytes(3).toString('hex')}`);
      started.push(environment);
      return environment;
    };
    beforeAll(async () => {
      await probe.setup?.();
    }, 30_000);
    afterAll(async () => {
      await Promise.all(started.map((environment) => environment.stop().catch(() => undefined)));
      await probe.teardown?.();
    });

    it('runs commands and reports stdout, stderr and exit codes', async () => {
      const env = await start('exec');
      expect(await env.exec({ command: 'echo hello' })).toMatchObject({ stdout: 'hello\n', stderr: '', exitCode: 0, timedOut: false });
      expect(await env.exec({ command: 'echo oops >&2; exit 3' })).toMatchObject({ stdout: '', stderr: 'oops\n', exitCode: 3 });
      expect((await env.exec({ command: 'false' })).exitCode).toBe(1);
      expect((await env.exec({ command: 'if then fi' })).exitCode).not.toBe(0);
      expect((await env.exec({ command: 'cat; echo " and $GREETING"', stdin: 'from stdin', env: { GREETING: "it's me" } })).stdout).toBe("from stdin and it's me\n");
    });

    it('keeps the working directory across calls, and a one-off cwd does not move it', async () => {
      const env = await start('cwd');
      expect((await env.exec({ command: 'mkdir -p a/b && cd a/b && touch here' })).exitCode).toBe(0);
      expect((await env.exec({ command: 'pwd' })).stdout.trim()).toMatch(/\/a\/b$/);
      expect((await env.exec({ command: 'pwd', cwd: '..' })).stdout.trim()).toMatch(/\/a$/);
      expect((await env.exec({ command: 'ls' })).stdout.trim()).toBe('here');
      expect((await env.exec({ command: 'cd "$OLDPWD" 2>/dev/null; cd ../..; ls' })).stdout).toContain('a');
    });

    it('kills the whole process tree on timeout', async () => {
      const env = await start('timeout');
      const result = await env.exec({ command: '(while :; do echo x >> ticks; sleep 0.05; done) & sleep 30', timeoutMs: 800 });
      expect(result.timedOut).toBe(true);
      expect(result.durationMs).toBeLessThan(8_000);
      const size = async () => (await env.exec({ command: 'wc -c < ticks' })).stdout.trim();
      const before = await size();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await size()).toBe(before);
      expect((await env.exec({ command: 'echo still usable' })).stdout).toBe('still usable\n');
    });

    it('runs nothing for a turn already stopped, and kills a command whose turn stops while it starts', async () => {
      const env = await start('abort');
      await expect(env.exec({ command: 'touch ran', signal: AbortSignal.abort(new Error('stopped before')) })).rejects.toThrow('stopped before');
      const stop = new AbortController();
      const running = env.exec({ command: 'touch began; sleep 30', signal: stop.signal });
      // Aborted while the process is being started: no abort event reaches the command, yet it must die.
      stop.abort(new Error('stopped while starting'));
      const started = Date.now();
      await expect(running).rejects.toThrow('stopped while starting');
      expect(Date.now() - started).toBeLessThan(8_000);
      expect((await env.exec({ command: 'test -e ran; echo $?' })).stdout).toBe('1\n');
    });

    it('round-trips binary files, relative to the current directory', async () => {
      const env = await start('files');
      const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(70_000)]);
      await env.writeFile('nested/dir/blob.bin', data);
      expect(Buffer.from(await env.readFile('nested/dir/blob.bin')).equals(data)).toBe(true);
      expect((await env.exec({ command: 'wc -c < nested/dir/blob.bin' })).stdout.trim()).toBe(String(data.length));
      await env.exec({ command: 'cd nested' });
      expect(Buffer.from(await env.readFile('dir/blob.bin')).equals(data)).toBe(true);
      await expect(env.readFile('missing.txt')).rejects.toThrow(/No such file/);
      await expect(env.readFile('dir/blob.bin', { maxBytes: 1000 })).rejects.toThrow(/limit/);
    });

    it('keeps the head and tail of large output', async () => {
      const env = await start('large');
      const result = await env.exec({ command: 'seq 1 300000', maxOutputBytes: 64 * 1024 });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.startsWith('1\n2\n3\n')).toBe(true);
      expect(result.stdout.endsWith('299999\n300000\n')).toBe(true);
      expect(result.stdout).toMatch(/\[\d+ bytes omitted\]/);
      expect(result.stdout.length).toBeLessThan(70 * 1024);
      expect(result.omittedBytes).toBeGreaterThan(1_000_000);
    });

    it('hands every byte of stdout and stderr to onStdout and onStderr as it comes, beyond what the result keeps', async () => {
      const env = await start('streamed');
      const out: Uint8Array[] = [];
      const err: Uint8Array[] = [];
      const result = await env.exec({ command: 'seq 1 30000; echo done >&2', maxOutputBytes: 1024, onStdout: (chunk) => out.push(chunk), onStderr: (chunk) => err.push(chunk) });
      expect(result.exitCode).toBe(0);
      expect(Buffer.concat(out).toString()).toBe(`${Array.from({ length: 30_000 }, (_, i) => i + 1).join('\n')}\n`);
      expect(Buffer.concat(err).toString()).toBe('done\n');
      expect(result.stdout).toMatch(/\[\d+ bytes omitted\]/);
    });

    it('keeps concurrent sessions apart', async () => {
      const [a, b] = await Promise.all([start('iso-a'), start('iso-b')]);
      await Promise.all([a.exec({ command: 'echo A > mine && mkdir -p only-a && cd only-a' }), b.exec({ command: 'echo B > mine' })]);
      const [inA, inB] = await Promise.all([a.exec({ command: 'cat ../mine; pwd' }), b.exec({ command: 'cat mine; ls' })]);
      expect(inA.stdout.split('\n')[0]).toBe('A');
      expect(inA.stdout).toMatch(/only-a\n$/);
      expect(inB.stdout).toBe('B\nmine\n');
    });

    it('cleans up on stop', async () => {
      const env = await start('stop');
      await env.exec({ command: 'echo leftover > file' });
      await env.stop();
      expect(await probe.isCleanedUp(env)).toBe(true);
      await expect(env.exec({ command: 'true' })).rejects.toThrow(/stopped/);
      await env.stop();
    });
  });
}

/**
 * An in-memory ModalApi (the port the modal back end talks through) whose sandboxes
 * are temp directories on this machine: exec'd commands really run, with the
 * sandbox's work directory remapped to its private directory. It records calls.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { ModalApi, ModalProcess, ModalSandbox, ModalSandboxParams } from '../../src/backends/modal.js';

export interface FakeModalSandbox {
  id: string;
  name: string;
  params: ModalSandboxParams;
  home: string;
  terminated: boolean;
}

export interface FakeModalApi extends ModalApi {
  calls: string[];
  sandboxes: Map<string, FakeModalSandbox>;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function fakeModalApi(): FakeModalApi {
  const calls: string[] = [];
  const sandboxes = new Map<string, FakeModalSandbox>();
  let counter = 0;
  const handle = (sandbox: FakeModalSandbox): ModalSandbox => ({
    id: sandbox.id,
    exec: async (argv) => {
      if (sandbox.terminated) throw Object.assign(new Error(`Sandbox ${sandbox.id} has terminated`), { code: 9 });
      calls.push(`exec ${sandbox.id}`);
      const [file = 'sh', ...args] = argv.map((part) => part.split(sandbox.params.workdir).join(sandbox.home));
      const child = spawn(file === 'sh' ? '/bin/sh' : file, args, { cwd: sandbox.home, env: { PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.on('error', () => undefined);
      const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 137)));
      const process: ModalProcess = {
        stdin: Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
        stdout: Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
        stderr: Readable.toWeb(child.stderr) as ReadableStream<Uint8Array>,
        wait: () => exit,
      };
      return process;
    },
    terminate: async () => {
      calls.push(`terminate ${sandbox.id}`);
      sandbox.terminated = true;
      rmSync(sandbox.home, { recursive: true, force: true });
    },
  });
  return {
    calls,
    sandboxes,
    async sandbox(name, params) {
      const existing = [...sandboxes.values()].find((s) => s.name === name && !s.terminated);
      if (existing) {
        calls.push(`reuse ${name}`);
        return handle(existing);
      }
      const sandbox: FakeModalSandbox = { id: `sb-${++counter}`, name, params, home: mkdtempSync(join(tmpdir(), 'cairn-fake-modal-')), terminated: false };
      sandboxes.set(sandbox.id, sandbox);
      calls.push(`create ${name}`);
      return handle(sandbox);
    },
    async running(name) {
      const existing = [...sandboxes.values()].find((s) => s.name === name && !s.terminated);
      calls.push(`look up ${name}`);
      return existing ? handle(existing) : undefined;
    },
    close: () => undefined,
  };
}

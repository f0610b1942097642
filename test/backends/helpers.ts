/** Small helpers shared by the back end tests (kept apart from test/helpers/cairn.ts, which builds a whole Cairn). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { createBackendLoader } from '../../src/backends/factory.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { readFileTool, writeFileTool } from '../../src/tools/files.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { terminalTool, type ExecutionToolOptions } from '../../src/tools/terminal.js';

export function tempDir(prefix = 'cairn-backend-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** PATH for processes the tests start, without anything from the test runner's environment. */
export const TEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Alive and not a zombie waiting to be reaped (in a container, nothing may reap it). */
export function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** When a process started (clock ticks since boot), to tell it from a later one with the same pid; undefined when gone. */
export function startTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Timers fired by hand: tests of timeouts never sleep. */
export class ManualTimers {
  private next = 1;
  private readonly pending = new Map<number, { callback: () => void; ms: number }>();

  setTimeout = (callback: () => void, ms: number): number => {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  /** Delays of the timers waiting to fire. */
  delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }

  /** Fires every pending timer (as if their time had come). */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.callback();
  }
}

/**
 * The world of the file-tool tests: a real local back end whose HOME is a fresh temp folder and
 * whose PATH is the tests' own, an approval gate on an in-memory database, and the terminal,
 * read_file and write_file tools as the model meets them. Call at the top of a test file: hooks
 * build it before each test and stop its back ends after.
 */
export interface LocalFileTools {
  /** This test's back ends (every session on the local one). */
  readonly environments: EnvironmentRegistry;
  /** The local back end's HOME: where `~` leads. */
  readonly home: string;
  /** terminal, read_file and write_file with the defaults of backends.* (12,000 output characters, 10 MiB files), admin-only. */
  tools(overrides?: Partial<ExecutionToolOptions>): ToolRegistry;
}

export function useLocalFileTools(): LocalFileTools {
  let world: { db: Db; environments: EnvironmentRegistry; home: string; timers: ManualTimers } | undefined;
  beforeEach(() => {
    const db = openDatabase(':memory:');
    const home = tempDir('cairn-home-');
    const timers = new ManualTimers();
    const config = loadConfig({ env: { CAIRN_DATA_DIR: tempDir('cairn-tools-') }, dotenv: false });
    const environments = new EnvironmentRegistry({ load: createBackendLoader(config, silentLogger), backendFor: () => 'local', hostEnv: { PATH: TEST_PATH, HOME: home }, env: {}, secrets: [], shared: false, idleMs: 60_000, timers, logger: silentLogger });
    world = { db, environments, home, timers };
  });
  afterEach(async () => {
    await world?.environments.stopAll();
    world?.db.close();
    world = undefined;
  });
  const current = () => {
    if (!world) throw new Error('useLocalFileTools: the back end exists only inside a test');
    return world;
  };
  return {
    get environments() {
      return current().environments;
    },
    get home() {
      return current().home;
    },
    tools(overrides = {}) {
      const { db, environments, timers } = current();
      const options: ExecutionToolOptions = {
        environments,
        approvals: new ApprovalGate({ db, clock: new ManualClock(), timers, timeoutMs: 120_000, logger: silentLogger }),
        adminOnly: true,
        defaultTimeoutSeconds: 10,
        maxOutputChars: 12_000, // the default of backends.maxOutputChars
        maxFileBytes: 10 * 1024 * 1024,
        secrets: [],
        ...overrides,
      };
      return new ToolRegistry().register(terminalTool(options)).register(readFileTool(options)).register(writeFileTool(options));
    },
  };
}

/** The caller the file-tool tests act as: the admin, in a Telegram DM. */
export const adminContext: ToolContext = { sessionId: 's1', conversationId: 'telegram:dm:1', userId: 'telegram:1', platform: 'telegram', isAdmin: true, signal: new AbortController().signal, now: () => 0, notify: async () => undefined };

/** A tool call as the model sends it: the arguments as JSON text. */
export const toolCall = (name: string, args: object) => ({ id: 'c1', name, arguments: JSON.stringify(args) });

/**
 * An operator runs `cairn start` in containers on a shared volume (Kubernetes, Docker with a restart policy)
 * and updates it: a new container comes up while the old one runs, the old one gets SIGTERM with 30 s
 * before SIGKILL while a reflection waits on a slow model and Telegram's Bot API has stopped answering,
 * a container restarts in a crash loop, and the volume goes read-only for a moment. Who holds the data
 * folder, what the stop waits for, and whether the next start can begin, step by step. Real SQLite, the
 * real Telegram adapter against the fake Bot API (behind a proxy that can stop answering), timers by hand.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';
import { ADAPTER_STOP_MS, startCairn, type RunningCairn } from '../../src/cli/start.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { InstanceLease, LEASE_STALE_MS } from '../../src/store/instance-lease.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';

const BOT_TOKEN = '123456:ROLLING-update-token';
const usage = { promptTokens: 1, completionTokens: 1, cachedTokens: 0 };

/** Three tool steps and an answer (a task complex enough to reflect on); every later call (the reflection) never answers. */
class SlowAfterTurnModel implements ModelClient {
  calls = 0;
  async complete(_request: CompletionRequest): Promise<CompletionResult> {
    this.calls += 1;
    if (this.calls <= 3) return { text: '', toolCalls: [{ id: `c${this.calls}`, name: 'current_time', arguments: '{}' }], finishReason: 'tool_calls', usage, model: 'm', provider: 'test' };
    if (this.calls === 4) return { text: 'Three times: late.', toolCalls: [], finishReason: 'stop', usage, model: 'm', provider: 'test' };
    return new Promise<CompletionResult>(() => {});
  }
}

/** Where a pid of this process means something, as the lease records it: the host name and, on Linux, the pid namespace. */
function thisContainer(): string {
  try {
    return `${hostname()} (pid namespace ${/\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0]})`;
  } catch {
    return hostname();
  }
}

const ticks = (n = 1) => Array.from({ length: n }).reduce<Promise<unknown>>((p) => p.then(() => new Promise((resolve) => setImmediate(resolve))), Promise.resolve());

let running: RunningCairn | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  for (const close of closers.splice(0)) await close();
});

describe('a rolling update on a shared volume', () => {
  it('a new container beside the old one: the lease names its pid namespace, so one of the same host name is waited for and refused, not let in', async () => {
    const path = join(tempDir(), 'cairn.db');
    const oldPod = openDatabase(path);
    const newPod = openDatabase(path);
    closers.push(() => oldPod.close(), () => newPod.close());
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 9, 0));

    // What a start records: where its pid can be looked at (a second container of the same host name, with
    // Kubernetes hostNetwork or Docker's network_mode: host, has its own pid namespace where that pid is nobody).
    const own = InstanceLease.acquire({ db: oldPod, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {} });
    expect(newPod.prepare('SELECT pid, host FROM instance_lease').get()).toEqual({ pid: process.pid, host: thisContainer() });
    own.release();

    // The old container's Cairn: alive, renewing, with a pid that names no process in the new container's namespace.
    const nobodyHere = spawnSync(process.execPath, ['-e', '']).pid;
    const otherContainer = `${hostname()} (pid namespace 4026532999)`;
    const leftBy = (pid: number, host: string) =>
      oldPod.prepare("INSERT OR REPLACE INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'old-pod', ?, ?, ?, ?)").run(pid, host, clock.now(), clock.now());
    leftBy(nobodyHere, otherContainer);
    const slept: number[] = [];
    const renewing = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
      oldPod.prepare('UPDATE instance_lease SET renewed_at = ?').run(clock.now());
    };
    await expect(InstanceLease.acquireWhenFree({ db: newPod, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, sleep: renewing })).rejects.toThrow(
      `Another Cairn is running on this data folder (pid ${nobodyHere} on ${otherContainer}, `,
    );
    // It looked before it refused: it did not take the live lease, nor refuse on what it cannot see.
    expect(slept.length).toBe(1);
    expect(oldPod.prepare('SELECT holder FROM instance_lease').pluck().get()).toBe('old-pod');

    // A crash loop: that container died (SIGKILL); its restart, in yet another pid namespace, waits until the lease is stale.
    clock.advance(4_000);
    const quiet = async (ms: number) => {
      slept.push(ms);
      clock.advance(ms);
    };
    slept.length = 0;
    const taken = await InstanceLease.acquireWhenFree({ db: newPod, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, sleep: quiet });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(LEASE_STALE_MS - 4_000);
    taken.release();

    // A lease an older Cairn wrote (its host name alone) on this machine, whose process is gone: taken at once, as before.
    leftBy(nobodyHere, hostname());
    slept.length = 0;
    (await InstanceLease.acquireWhenFree({ db: newPod, clock, timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, sleep: quiet })).release();
    expect(slept).toEqual([]);
  });

  it("SIGTERM while a reflection waits on a slow model and Telegram's Bot API stopped answering: the stop keeps to its limits, gives the lease up, and the next start begins at once", async () => {
    const telegram: FakeTelegram = await startFakeTelegram(BOT_TOKEN);
    closers.push(() => telegram.close());
    let unreachable = false;
    const proxy: Proxy = await startProxy(telegram.apiRoot, () => (unreachable ? { status: 0, hang: true } : undefined));
    closers.push(() => proxy.close());
    const dataDir = tempDir();
    const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', CAIRN_SHUTDOWN_GRACE_MS: '20', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: proxy.url }, dataDir);
    const log: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
    const timers = new ManualTimers();
    const model = new SlowAfterTurnModel();
    running = await startCairn(config, { logger, host: '127.0.0.1', model, timers });
    const first = running;
    await telegram.waitFor('getUpdates', 1);

    // A task with three tool calls is answered; its reflection then waits on the model.
    const somewhere = new RecordingAdapter();
    first.cairn.gateway.attach(somewhere);
    await first.cairn.gateway.receive(somewhere.message('what time is it, three times over?'));
    expect(somewhere.texts()).toEqual(['Three times: late.']);
    while (model.calls < 5) await ticks();

    // The Bot API stops answering (the node's network broke: often why the operator restarts), then SIGTERM.
    unreachable = true;
    const seenBefore = proxy.seen.length;
    const stopped = first.stop();
    // grammY's stop confirms the updates handled with one more getUpdates, which now hangs (its own limit is two minutes).
    while (!proxy.seen.slice(seenBefore).some((request) => request.path.endsWith('/getUpdates')) || !timers.delays().includes(ADAPTER_STOP_MS)) await ticks();
    await ticks(5);
    expect(first.cairn.db.open).toBe(true);
    // ADAPTER_STOP_MS later (of the 30 s before SIGKILL) Cairn closes without it.
    timers.fireAll();
    await stopped;
    running = undefined;
    expect(first.cairn.db.open).toBe(false);
    expect(log.filter((line) => line.level === 40).map((line) => line.msg)).toEqual(
      expect.arrayContaining(['a platform did not finish disconnecting; closing without it', 'reflections or audits still running at shutdown were cut short']),
    );
    expect(log.find((line) => line.msg === 'a platform did not finish disconnecting; closing without it')).toMatchObject({ platforms: ['telegram'] });
    // The lease went last, and went: the next start takes the data folder without waiting.
    const check: Db = openDatabase(join(dataDir, 'cairn.db'));
    expect(check.prepare('SELECT COUNT(*) FROM instance_lease').pluck().get()).toBe(0);
    check.close();
    unreachable = false;
    const sleeps: number[] = [];
    running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1', model: new SlowAfterTurnModel(), sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([]);
  });

  it('the volume read-only at SIGTERM: the stop still ends cleanly and closes everything; the next start waits for the lease to go stale, then runs', async () => {
    const dataDir = tempDir();
    const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0' }, dataDir);
    const clock = new ManualClock(Date.now());
    const log: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
    running = await startCairn(config, { logger, host: '127.0.0.1', clock, timers: new ManualTimers() });
    const first = running;
    // Writes now fail as on a volume remounted read-only (SQLITE_READONLY).
    first.cairn.db.pragma('query_only = ON');
    // A failed stop exits 1, which systemd records as a failed unit; the stop itself went well.
    await expect(first.stop()).resolves.toBeUndefined();
    running = undefined;
    expect(first.cairn.db.open).toBe(false);
    await expect(fetch(`http://127.0.0.1:${first.port}/healthz`)).rejects.toThrow();
    expect(log.find((line) => line.level === 40 && String(line.msg).includes('lease'))).toMatchObject({ msg: 'could not give up the instance lease; it goes stale in 30 s, which a next start in a container or on another host waits for', err: 'attempt to write a readonly database' });

    // The volume is writable again; systemd starts Cairn once more (this very pid, as a restarted container's): it waits for the stale lease.
    clock.advance(3_000);
    const slept: number[] = [];
    running = await startCairn(config, {
      logger: silentLogger,
      host: '127.0.0.1',
      clock,
      timers: new ManualTimers(),
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
    });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(LEASE_STALE_MS - 3_000);
    expect((await fetch(`http://127.0.0.1:${running.port}/healthz`)).status).toBe(200);
  });
});

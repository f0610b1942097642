/**
 * `cairn start`: every configured platform adapter in one process, one HTTP server
 * (health, Slack events, Telegram webhook), idle sessions swept every minute, and a
 * clean shutdown on SIGINT/SIGTERM (adapters stop taking messages, turns in flight
 * finish within the grace period, the database closes). One start per data folder
 * (store/instance-lease.ts).
 */
import { requireModel, type Config } from '../config/load.js';
import { createCairn, type Cairn, type CairnOverrides } from '../main.js';
import type { ModelHealth } from '../model/refused-keys.js';
import { HttpServer, type HealthReport } from '../http/server.js';
import { enabledPlatforms, type AdapterFactory, type PlatformName } from '../core/adapter-factory.js';
import { ADAPTER_MODULES } from './adapter-modules.js';
import type { Adapter, AdapterHealth } from '../core/message.js';
import { CairnError, describeError } from '../core/errors.js';
import { loggerFor, type Logger } from '../core/logger.js';
import { logUnhandledRejections, onShutdownSignal } from './signals.js';
import { InstanceLease } from '../store/instance-lease.js';
import { join } from 'node:path';
import { HistoryRetention } from '../store/history-retention.js';
import { systemTimers, type TimerHandle } from '../backends/timers.js';
import { systemClock } from '../core/clock.js';
import { databasePath, migrateDatabase, openDatabase, type Db } from '../store/db.js';
import { MIGRATIONS } from '../store/migrations/index.js';
import type { LeftoverScope } from '../backends/approvals.js';
import { DatabaseSentReplies, REMEMBERED_REPLIES, SentReplies } from '../core/sent-replies.js';
import type { CommandGroup } from './context.js';
import { checkMovedDataFolder } from './start-checks.js';
import { loadToolModules, registerCustomTools } from '../tools/custom/index.js';
import { connectMcpServers } from '../tools/mcp/connect.js';

const IDLE_SWEEP_MS = 60_000;
/** How long the platforms may take to disconnect at shutdown: with the grace of the turns and that of what follows them (10 s each by default), the stop fits the 30 s Docker and Kubernetes give it. */
export const ADAPTER_STOP_MS = 5_000;

export const startCommands: CommandGroup = ({ program, config }) => {
  program
    .command('start')
    .description('run Cairn on every configured chat platform (Telegram, Slack, Discord)')
    .action(async () => {
      const settings = config();
      const removeRejectionLog = logUnhandledRejections(loggerFor(settings, 'info'));
      // Listening from the first moment: a stop asked for during the start ends it at once (a second
      // signal exits at once), whether it still waits for an earlier run's lease or a platform still
      // connects: up to 30 s of the one, or a minute of Discord's gateway, then every platform connected
      // only to be closed, would outlast the service manager's stop timeout (Docker's is 10 s). A stop
      // asked for by the service manager is a clean exit (0), not a failure.
      const stopAsked = new AbortController();
      const removeSignals = onShutdownSignal(
        async () => {
          stopAsked.abort(STOPPED_WHILE_STARTING);
          const running = await starting.catch((error: unknown) => {
            if (error !== STOPPED_WHILE_STARTING) throw error;
          });
          await running?.stop();
        },
        { cleanExitCode: 0 },
      );
      const starting = startCairn(settings, { stopAsked: stopAsked.signal });
      const running = await starting;
      await running.stopped;
      removeSignals();
      removeRejectionLog();
    });
};

export interface RunningCairn {
  cairn: Cairn;
  port: number;
  adapters: Adapter[];
  /** Resolves once stop() has finished, cleanly or not. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Why a start gave up: a stop was asked for while it waited for an earlier run's lease, or while a platform connected. */
const STOPPED_WHILE_STARTING = new CairnError('aborted', 'Stopped during the start; nothing is left running.');

export interface StartOptions extends CairnOverrides {
  host?: string;
  sleep?: (ms: number) => Promise<void>;
  /**
   * A stop asked for during the start: ends the wait for an earlier run's lease, or for a platform still connecting,
   * closes what had started, and rejects with its reason.
   */
  stopAsked?: AbortSignal;
  /** Replaces the adapter modules (tests). */
  factories?: Partial<Record<PlatformName, AdapterFactory>>;
}

export async function startCairn(config: Config, options: StartOptions = {}): Promise<RunningCairn> {
  requireModel(config);
  const logger = options.logger ?? loggerFor(config, 'info');
  checkMovedDataFolder(config, logger);
  // The tool modules people add (CAIRN_TOOL_MODULES): one that cannot load refuses the start, naming it, before anything is touched.
  const customTools = await loadToolModules(config.tools.modules);
  // prom-client is loaded only where metrics are served.
  const metrics = config.metrics.enabled ? new (await import('../metrics/prometheus.js')).PrometheusMetrics(logger) : undefined;
  // The lease comes first: building Cairn already changes the database (approvals an earlier
  // run left pending are expired), which must not happen under another running start. So do the
  // migrations: a new version started beside a running older one (an upgrade) was refused, but only
  // after moving the schema on, and the older one could not start again after its next stop.
  const db = options.db ?? openDatabase(databasePath(config.dataDir), { migrate: false });
  let stopOnLostLease = () => {};
  let lease: InstanceLease;
  const { stopAsked } = options;
  try {
    // A new database, or one older than the lease (migration 011), has no lease to hold yet.
    if (!options.db && !hasLeaseTable(db)) migrateDatabase(db);
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const waitUnlessStopped = (ms: number) => (stopAsked ? untilAborted(sleep(ms), stopAsked) : sleep(ms));
    lease = await InstanceLease.acquireWhenFree({ db, clock: options.clock ?? systemClock, timers: options.timers ?? systemTimers, logger, name: 'start', onLost: () => stopOnLostLease(), sleep: waitUnlessStopped });
  } catch (error) {
    db.close();
    throw error;
  }
  try {
    // A re-indexing migration over a large database takes seconds to a minute, with nothing else to show for it.
    if (!options.db) migrateDatabase(db, MIGRATIONS, (pending) => logger.info({ from: (pending[0]?.version ?? 1) - 1, to: pending.at(-1)?.version, migrations: pending.map((m) => m.name) }, 'upgrading the database (a large one may take a minute)'));
  } catch (error) {
    lease.release();
    db.close();
    throw error;
  }
  const timers = options.timers ?? systemTimers;
  let cairn: Cairn;
  try {
    cairn = createCairn(config, { ...options, db, logger, ...(metrics ? { metrics } : {}) });
    registerCustomTools(cairn.tools, customTools, { logger, secrets: config.secrets, accountsOf: (person) => cairn.access.links.identitiesOf(person), ...(options.timers ? { timers: options.timers } : {}) });
  } catch (error) {
    lease.release();
    db.close();
    throw error;
  }
  // MCP servers, side by side, each within 30 s: one that cannot be reached is logged and tried again in the background (tools/mcp).
  const mcp = await connectMcpServers(cairn, timers);
  // Under the lease, requests an earlier run left waiting for approval are its to expire; not those of
  // a `cairn chat` open beside it, whose /approve would then find its own request expired.
  cairn.approvals.expireLeftovers(START_LEFTOVERS);
  cairn.sessions.sweepIdle();
  // Sessions whose note extraction failed or was cut short last time are retried now.
  cairn.notes.resumePending();
  const http = new HttpServer();
  // /readyz answers 503 until the platforms have started, and again from the first moment of a stop.
  http.setState('starting');
  const adapters: Adapter[] = [];
  // The end of every start, failed or stopped: stopping an adapter that never started is harmless.
  const closeAll = async () => {
    // Each platform gets ADAPTER_STOP_MS to disconnect: a Bot API or gateway unreachable at shutdown (often why Cairn is
    // restarted) held the stop for minutes (Telegram's confirming getUpdates has two), past the service manager's stop
    // timeout, whose SIGKILL left the lease held and the notes' extraction cut. What a platform delivers again is deduplicated.
    const stopping = new Set(adapters.map((adapter) => adapter.platform));
    const stops = Promise.allSettled(adapters.map((adapter) => adapter.stop().finally(() => stopping.delete(adapter.platform))));
    let limit: TimerHandle | undefined;
    const late = new Promise<void>((resolve) => (limit = timers.setTimeout(resolve, ADAPTER_STOP_MS)));
    await Promise.race([stops, late]);
    timers.clearTimeout(limit);
    if (stopping.size > 0) logger.warn({ platforms: [...stopping], waitedMs: ADAPTER_STOP_MS }, 'a platform did not finish disconnecting; closing without it');
    // The lease goes only once this process writes no more (note extraction, audits in their grace):
    // a second start taken in earlier would work on the same conversations. The MCP servers' processes end first.
    await mcp?.close();
    await cairn.close(() => lease.release());
    await http.close();
  };
  let port: number;
  try {
    for (const platform of enabledPlatforms(config)) {
      stopAsked?.throwIfAborted();
      const factory = options.factories?.[platform] ?? (await loadFactory(platform));
      // Replies kept in the database: a 👍/👎 on an answer sent before a restart is still feedback on its turn.
      const sentReplies = (name: PlatformName) => new SentReplies(REMEMBERED_REPLIES, new DatabaseSentReplies(cairn.db, name));
      const adapter = await factory({ config, http, logger: logger.child({ platform }), commands: cairn.commands, sentReplies, conversationMoved: cairn.moveConversation, ...(options.sleep ? { sleep: options.sleep } : {}) });
      cairn.gateway.attach(adapter);
      adapters.push(adapter);
    }
    // The gateway knows each attached platform's health; /healthz and the metrics read it there.
    http.setHealth(() => healthOf(cairn.gateway.platformStates(), cairn.modelHealth()));
    metrics?.platformsUp(() => cairn.gateway.platformStates().map(({ platform, health }) => ({ platform, up: health.ok, problem: health.problem !== undefined || !health.ok })));
    if (metrics) {
      http.mount('/metrics', metrics.route(config.metrics.token));
      logger.info({ tokenRequired: config.metrics.token !== undefined }, 'Prometheus metrics served at /metrics');
    }
    stopAsked?.throwIfAborted();
    port = await http.listen(config.httpPort, options.host);
    logger.info({ port }, `HTTP server listening on port ${port}`);
    for (const adapter of adapters) {
      // A platform still connecting is not waited for (Discord's gateway gets a minute): closeAll stops it.
      await (stopAsked ? untilAborted(adapter.start(cairn.gateway.receive), stopAsked) : adapter.start(cairn.gateway.receive));
      logger.info({ platform: adapter.platform }, 'adapter started');
    }
    stopAsked?.throwIfAborted();
    // Turns a crash or power cut cut off last time are said now that their platforms are up (under the lease: no other start answers).
    await cairn.turnsInProgress.tellCutOff({ adapters, repeats: (id) => cairn.schedules.store.get(id)?.cron !== undefined });
    // The audit schedule belongs to the long-running bot (a bad CAIRN_AUDIT_CRON fails the start here); a missed
    // audit starts now, in the background (stopping waits for it), so scheduled tasks need not wait for its model calls.
    await cairn.learning.start();
    // Scheduled tasks run here too; one missed while Cairn was down runs now, marked late.
    cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms());
  } catch (error) {
    // A platform that cannot be set up or start (bad token, unreachable API) or a taken port fails
    // the start, and nothing made so far may keep the process alive.
    if (stopAsked?.aborted) logger.info('stopped during the start; closing what had started');
    await closeAll();
    throw error;
  }
  if (adapters.length === 0) {
    logger.warn('No chat platform is configured: set TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN or DISCORD_TOKEN. Serving /healthz only; `cairn chat` talks in the terminal.');
  }
  const sweeper = setInterval(() => cairn.sessions.sweepIdle(), IDLE_SWEEP_MS);
  sweeper.unref();
  // History past CAIRN_KEEP_HISTORY_DAYS goes now and daily, only here: under the lease, never from a `cairn chat` beside.
  const keepDays = config.agent.keepHistoryDays;
  const retention = keepDays === undefined ? undefined : new HistoryRetention({ db: cairn.db, clock: cairn.clock, keepDays, auditsDir: join(config.dataDir, 'audits'), logger });
  retention?.start(timers);
  http.setState('running');

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      http.setState('stopping');
      clearInterval(sweeper);
      await retention?.stop();
      // No scheduled task may start now: it would be told Cairn is restarting, and its run lost.
      cairn.schedules.stop();
      logger.info('shutting down');
      // Platforms that keep or send again what is not taken stop taking messages first: one sent during the drain
      // then reaches the next start, rather than being taken (its update confirmed, its event acknowledged) only to be
      // answered "send that again". Turns in flight finish (and can still reply; a message still taken is told to
      // retry), then the adapters disconnect, then the database closes.
      for (const adapter of adapters) stopTaking(adapter, logger);
      await cairn.gateway.drain(config.agent.shutdownGraceMs);
      await closeAll();
      logger.info('stopped');
      resolveStopped();
    })().catch((error: unknown) => {
      logger.error({ err: describeError(error) }, 'shutdown failed');
      resolveStopped();
      // The signal handler exits 1 for it.
      throw error;
    }));
  // Another process took this data folder over while this one was stalled: two must not run.
  stopOnLostLease = () => void stop().catch(() => undefined);
  return { cairn, port, adapters, stopped, stop };
}

/** An adapter stops taking messages; one that fails to is stopped with the rest after the drain, which still goes on. */
function stopTaking(adapter: Adapter, logger: Logger): void {
  try {
    adapter.stopTaking?.();
  } catch (error) {
    logger.warn({ platform: adapter.platform, err: describeError(error) }, 'a platform could not stop taking messages before the drain');
  }
}

/** The leftover approvals a start expires: all but the terminals' (`cairn chat` expires its own). */
export const START_LEFTOVERS: LeftoverScope = { except: 'console:' };

function hasLeaseTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_lease'").get() !== undefined;
}

/** `waiting`, or the abort's reason as soon as `signal` is aborted (a later failure of `waiting` is then no news). */
function untilAborted<T>(waiting: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    waiting.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    waiting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function loadFactory(platform: PlatformName): Promise<AdapterFactory> {
  return (await ADAPTER_MODULES[platform]()).createAdapter;
}

/** /healthz: each platform, and what is wrong with any; not ok once one stopped hearing its platform, or the model refuses the key. */
function healthOf(states: readonly { platform: string; health: AdapterHealth }[], model: ModelHealth): HealthReport {
  const problems = Object.fromEntries([...states.map(({ platform, health }) => [platform, health.problem] as const), ['model', model.problem] as const].filter(([, problem]) => problem !== undefined));
  return {
    ok: states.every(({ health }) => health.ok) && model.ok,
    platforms: states.map(({ platform }) => platform),
    ...(Object.keys(problems).length > 0 ? { problems } : {}),
  };
}

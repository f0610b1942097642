/** What the composition root (main.ts) builds, and what callers may put in place of its parts. */
import type { Config } from './config/load.js';
import type { Db } from './store/db.js';
import type { ModelClient } from './model/types.js';
import type { ModelHealth } from './model/refused-keys.js';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import type { SessionManager } from './memory/session-manager.js';
import type { ToolRegistry } from './tools/registry.js';
import type { Agent } from './core/agent.js';
import type { CommandRegistry } from './core/commands.js';
import type { Transcriber } from './model/transcribe.js';
import type { ImageDescriber } from './model/vision.js';
import type { Gateway } from './core/gateway.js';
import type { TurnsInProgress } from './core/turns-in-progress.js';
import type { UsageLedger } from './core/usage-ledger.js';
import type { Schedules } from './schedules/index.js';
import type { AccessControl } from './access/index.js';
import type { Skills } from './skills/index.js';
import type { Learning } from './learning/index.js';
import type { CronPort } from './learning/scheduler.js';
import type { EnvironmentRegistry } from './backends/environments.js';
import type { ApprovalGate } from './backends/approvals.js';
import type { Timers } from './backends/timers.js';
import type { Notes } from './memory/notes/index.js';
import type { Embedder } from './memory/notes/embeddings.js';
import type { Metrics } from './core/metrics.js';

export interface CairnOverrides {
  clock?: Clock;
  logger?: Logger;
  /** Replaces the model client (tests, benchmarks); the real one is built from config otherwise. */
  model?: ModelClient;
  /** Injected sleep for model retries (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  db?: Db;
  /** Replaces node-cron for the audit schedule (tests fire it by hand). */
  cronPort?: CronPort;
  /** Timers for approval timeouts and idle environments (tests fire them by hand). */
  timers?: Timers;
  /** Replaces the speech-to-text client built from CAIRN_TRANSCRIBE_MODEL (tests). */
  transcriber?: Transcriber;
  /** Replaces the image describer built from CAIRN_VISION_MODEL (tests). */
  describer?: ImageDescriber;
  /** Replaces the embeddings client built from CAIRN_EMBEDDINGS_MODEL (tests). */
  embedder?: Embedder;
  /** Where turns, model calls and tool calls are counted (`cairn start` with CAIRN_METRICS); none by default. */
  metrics?: Metrics;
}

export interface Cairn {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  model: ModelClient;
  /** Whether the model endpoints take Cairn's key (a refused one is named in /healthz). */
  modelHealth(): ModelHealth;
  ledger: UsageLedger;
  sessions: SessionManager;
  tools: ToolRegistry;
  commands: CommandRegistry;
  agent: Agent;
  gateway: Gateway;
  /** The turns under way, kept so a start after a crash tells whom it cut off (`cairn start` does). */
  turnsInProgress: TurnsInProgress;
  access: AccessControl;
  skills: Skills;
  learning: Learning;
  /** Per-session execution environments for the terminal and file tools. */
  environments: EnvironmentRegistry;
  approvals: ApprovalGate;
  /** Persistent notes: search, extraction of ended sessions, recall. */
  notes: Notes;
  /** Scheduled tasks; `cairn start` and `cairn chat` run those of their platforms. */
  schedules: Schedules;
  /**
   * A conversation moved to a new id (a Telegram group that became a supergroup): its sessions,
   * `/model` choice, files and scheduled tasks go with it (the adapters' `conversationMoved`).
   */
  moveConversation(from: string, to: string): void;
  /**
   * Drains turns in flight (within the configured grace), lets background writes finish, and
   * closes the database; `beforeDatabaseCloses` runs last before that (`cairn start` releases its lease there).
   */
  close(beforeDatabaseCloses?: () => void): Promise<void>;
}

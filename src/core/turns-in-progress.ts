/**
 * The turns being answered, kept in the database (migration 036) so the next start knows which a crash cut off.
 * A killed or powered-off Cairn had saved the person's message at the turn's start and nothing else: after the
 * restart nobody was told, and the message looked answered. A scheduled one-off, marked as run before its run
 * (so a crash never runs it twice), was lost the same way, its owner never told.
 *
 * The gateway writes a row when a turn starts and deletes it when the turn ends in any way (answered, failed
 * and said, stopped, refused, cut off by a graceful shutdown, which says so itself). `cairn start`, under the
 * instance lease and once its platforms are up, tells each conversation a row of another process names that
 * its answer was lost (`tellCutOff`), then deletes the row. A terminal's turns (`cairn chat`) are not kept: the
 * person saw it end.
 */
import { randomUUID } from 'node:crypto';
import type { Adapter, InboundMessage } from './message.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { describeError } from './errors.js';
import type { Db } from '../store/db.js';
import { diedOnThisHost, samePidSpace, thisProcess, type Holder } from '../store/process-gone.js';

/** A row whose platform is not configured now is kept this long (it may be configured again), then dropped. */
export const KEEP_UNSENT_MS = 24 * 60 * 60_000;

/** What the person is told of a message whose answer a crash cut off. */
export const CUT_OFF = 'I stopped unexpectedly (a crash or a power cut) while answering this, and the answer was lost. Please send it again.';

/** What the owner of a scheduled task is told of its run that a crash cut off; a one-off is not run again (it was marked as run when it began). */
export function taskCutOff(scheduleId: number, repeats: boolean): string {
  const then = repeats ? 'it runs again at its next time.' : 'it is not run again: set it again if you still need it.';
  return `Scheduled task #${scheduleId} was cut off when I stopped unexpectedly (a crash or a power cut), and its answer was lost; ${then}`;
}

/** This process in the rows it writes: its pid and host (for the logs and for a live process's rows), and a run id no other process has. */
export interface TurnWriter extends Holder {
  run: string;
}

const THIS_RUN: TurnWriter = { ...thisProcess(), run: randomUUID() };

interface Row {
  id: number;
  platform: string;
  conversation_id: string;
  message_id: string;
  user_id: string;
  schedule_id: number | null;
  started_at: number;
  pid: number;
  host: string;
  run: string;
}

export interface TellCutOffOptions {
  /** The platforms running now, to post with. */
  adapters: readonly Adapter[];
  /** Whether a scheduled task repeats (a task since deleted does not). */
  repeats: (scheduleId: number) => boolean;
}

export class TurnsInProgress {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly self: TurnWriter = THIS_RUN,
  ) {}

  /** Records the turn the message starts; returns what ends it. A failed write is logged, and the turn goes on. */
  begin(message: InboundMessage): () => void {
    if (message.platform === 'console') return () => undefined;
    let id: number;
    try {
      const { self } = this;
      const insert = this.db.prepare('INSERT INTO turns_in_progress (platform, conversation_id, message_id, user_id, schedule_id, started_at, pid, host, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      id = Number(insert.run(message.platform, message.conversationId, message.messageId, message.identity ?? message.userId, message.scheduled?.id ?? null, this.clock.now(), self.pid, self.host, self.run).lastInsertRowid);
    } catch (error) {
      this.logger.warn({ conversationId: message.conversationId, err: describeError(error) }, 'could not record the turn as under way; a crash during it will not be said');
      return () => undefined;
    }
    return () => {
      try {
        this.db.prepare('DELETE FROM turns_in_progress WHERE id = ?').run(id);
      } catch (error) {
        this.logger.warn({ conversationId: message.conversationId, err: describeError(error) }, 'could not record the turn as ended');
      }
    };
  }

  /**
   * At `cairn start`, under the instance lease: the turns other processes left are said cut off in their
   * conversations, as replies to their messages where the platform quotes, and forgotten. Only a start answers
   * on the platforms and it holds the lease, so a row of another run is a dead process's; one whose process
   * is seen alive on this host (a start that lost its lease while stalled, still ending its turns) is left to it.
   */
  async tellCutOff({ adapters, repeats }: TellCutOffOptions): Promise<number> {
    const rows = this.db.prepare('SELECT * FROM turns_in_progress WHERE run != ? ORDER BY id').all(this.self.run) as Row[];
    let told = 0;
    for (const row of rows) {
      if (this.aliveElsewhere(row)) continue;
      const adapter = adapters.find((candidate) => candidate.platform === row.platform);
      const ids = { platform: row.platform, conversationId: row.conversation_id, messageId: row.message_id, scheduleId: row.schedule_id ?? undefined, pid: row.pid, host: row.host };
      if (!adapter) {
        if (this.clock.now() - row.started_at < KEEP_UNSENT_MS) continue;
        this.logger.warn({ ...ids, startedAt: new Date(row.started_at).toISOString() }, 'a turn cut off by a crash was never said: its platform has not been configured for a day; dropped');
        this.forget(row.id);
        continue;
      }
      try {
        const text = row.schedule_id === null ? CUT_OFF : taskCutOff(row.schedule_id, repeats(row.schedule_id));
        // A scheduled run answers no message; a person's message is quoted where the platform does.
        await adapter.send(row.conversation_id, { text, isError: true, ...(row.schedule_id === null ? { replyTo: row.message_id } : {}) });
        told += 1;
        this.logger.info(ids, 'a turn cut off by a crash or power cut was said in its conversation');
      } catch (error) {
        // Refused for good or not, it is not tried at every start for ever.
        this.logger.warn({ ...ids, err: describeError(error) }, 'could not say in its conversation that a turn was cut off by a crash');
      }
      this.forget(row.id);
    }
    return told;
  }

  /** Whether the row's process is seen alive on this host (not this process: its own rows carry its run), and not a day ago. */
  private aliveElsewhere(row: Row): boolean {
    const holder = { pid: row.pid, host: row.host };
    // A day on, its pid is another process's (a reboot gave it out again): no turn runs that long.
    if (this.clock.now() - row.started_at >= KEEP_UNSENT_MS) return false;
    if (!samePidSpace(holder.host, this.self.host) || holder.pid === this.self.pid) return false;
    if (diedOnThisHost(holder, this.self)) return false;
    this.logger.info({ conversationId: row.conversation_id, pid: row.pid }, 'a turn under way in another live process on this host left to it');
    return true;
  }

  private forget(id: number): void {
    this.db.prepare('DELETE FROM turns_in_progress WHERE id = ?').run(id);
  }
}

/**
 * Remembers which inbound messages were handled, in SQLite, so a platform's
 * re-delivery (Slack retries, Telegram update replays, gateway resumes) is answered
 * once, even across a restart.
 */
import type { Db } from '../store/db.js';

/** Ids older than this are forgotten; platforms re-deliver within minutes. */
const RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY = 500;

export class InboundDedupe {
  private readonly insert;
  private readonly prune;
  private sincePrune = 0;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT OR IGNORE INTO inbound_seen (platform, message_id, seen_at) VALUES (?, ?, ?)');
    this.prune = db.prepare('DELETE FROM inbound_seen WHERE seen_at < ?');
  }

  /** True the first time a (platform, id) pair is seen, false for a repeat. */
  firstSighting(platform: string, messageId: string, now: number): boolean {
    if (++this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      this.prune.run(now - RETENTION_MS);
    }
    return this.insert.run(platform, messageId, now).changes > 0;
  }
}

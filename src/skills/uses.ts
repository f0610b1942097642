/**
 * Which skill versions the agent viewed during which turn. A turn is named by the
 * seq of the user message that began it, so a use is keyed by session + turn and
 * the learning loop can attach the task's outcome to exactly the versions it used.
 */
import { z } from 'zod';
import type { Db } from '../store/db.js';

export type SkillOutcome = 'success' | 'failure' | 'unknown';

export interface SkillUse {
  sessionId: string;
  turn: number;
  name: string;
  version: number;
  viewedAt: number;
  outcome: SkillOutcome | undefined;
}

/** The part of a finished turn (core/agent.ts TurnResult) that identifies it. */
export interface TurnRef {
  sessionId: string;
  startedAt: number;
  toolCalls: readonly { name: string }[];
}

const rowSchema = z.object({
  session_id: z.string(),
  turn: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  viewed_at: z.number().int(),
  outcome: z.enum(['success', 'failure', 'unknown']).nullable(),
});

const COLUMNS = 'session_id, turn, name, version, viewed_at, outcome';

export class SkillUses {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      currentTurn: db.prepare("SELECT MAX(seq) FROM messages WHERE session_id = ? AND role = 'user'").pluck(),
      turnStartedAt: db.prepare("SELECT MAX(seq) FROM messages WHERE session_id = ? AND role = 'user' AND created_at = ?").pluck(),
      record: db.prepare('INSERT OR IGNORE INTO skill_uses (session_id, turn, name, version, viewed_at) VALUES (?, ?, ?, ?, ?)'),
      forTurn: db.prepare(`SELECT ${COLUMNS} FROM skill_uses WHERE session_id = ? AND turn = ? ORDER BY viewed_at, name`),
      forSession: db.prepare(`SELECT ${COLUMNS} FROM skill_uses WHERE session_id = ? ORDER BY turn, viewed_at, name`),
      forVersion: db.prepare(`SELECT ${COLUMNS} FROM skill_uses WHERE name = ? AND version = ? ORDER BY viewed_at`),
      setOutcome: db.prepare('UPDATE skill_uses SET outcome = ? WHERE session_id = ? AND turn = ?'),
      lastUsed: db.prepare('SELECT MAX(viewed_at) FROM skill_uses WHERE name = ?').pluck(),
      lastUsedByName: db.prepare<[], { name: string; at: number }>('SELECT name, MAX(viewed_at) AS at FROM skill_uses GROUP BY name'),
      countsSince: db.prepare<[number], { name: string; uses: number }>('SELECT name, COUNT(*) AS uses FROM skill_uses WHERE viewed_at >= ? GROUP BY name'),
    };
  }

  /** The turn a tool call in this session belongs to: the newest user message's seq (0 outside a session). */
  currentTurn(sessionId: string): number {
    return (this.statements.currentTurn.get(sessionId) as number | null) ?? 0;
  }

  record(use: { sessionId: string; turn: number; name: string; version: number; viewedAt: number }): void {
    this.statements.record.run(use.sessionId, use.turn, use.name, use.version, use.viewedAt);
  }

  forTurn(sessionId: string, turn: number): SkillUse[] {
    return this.statements.forTurn.all(sessionId, turn).map(toUse);
  }

  forSession(sessionId: string): SkillUse[] {
    return this.statements.forSession.all(sessionId).map(toUse);
  }

  forVersion(name: string, version: number): SkillUse[] {
    return this.statements.forVersion.all(name, version).map(toUse);
  }

  /**
   * The skill versions a finished turn used, for the learning loop
   * (`TaskRecorder`'s `skillsUsed`). The turn is found by its user message, which
   * was stored at the turn's start; a turn that called no skill tool used none.
   */
  usedInTurn(turn: TurnRef): { name: string; version: number }[] {
    if (!turn.toolCalls.some((call) => call.name.startsWith('skill_'))) return [];
    const seq = this.statements.turnStartedAt.get(turn.sessionId, turn.startedAt) as number | null;
    if (seq === null) return [];
    return this.forTurn(turn.sessionId, seq).map(({ name, version }) => ({ name, version }));
  }

  /** Attaches a task's outcome to every skill version used in that turn; returns how many. */
  setOutcome(sessionId: string, turn: number, outcome: SkillOutcome): number {
    return this.statements.setOutcome.run(outcome, sessionId, turn).changes;
  }

  lastUsedAt(name: string): number | undefined {
    return (this.statements.lastUsed.get(name) as number | null) ?? undefined;
  }

  /** How many turns used each skill since `at`, by name. */
  countsSince(at: number): Map<string, number> {
    return new Map(this.statements.countsSince.all(at).map((row) => [row.name, row.uses]));
  }

  /** Each skill's last use, by name. */
  lastUsedByName(): Record<string, number> {
    return Object.fromEntries(this.statements.lastUsedByName.all().map((row) => [row.name, row.at]));
  }
}

function toUse(row: unknown): SkillUse {
  const r = rowSchema.parse(row);
  return { sessionId: r.session_id, turn: r.turn, name: r.name, version: r.version, viewedAt: r.viewed_at, outcome: r.outcome ?? undefined };
}

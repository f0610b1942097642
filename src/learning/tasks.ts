/**
 * Tasks: turns where the agent did work (at least one tool call, or marked as a task
 * by feedback). Each keeps its trajectory, the skill versions it used, tool errors,
 * usage, duration and an outcome whose source says how much to trust it:
 * feedback (the user said) > self (the model's reflection) > tools (errors or not).
 */
import { z } from 'zod';
import type Database from 'better-sqlite3';
import type { Db } from '../store/db.js';
import type { ChatMessage } from '../model/types.js';

export type Outcome = 'success' | 'failure' | 'unknown';
export type OutcomeSource = 'tools' | 'self' | 'feedback' | 'none';

export interface SkillUse {
  name: string;
  version: number;
}

export interface NewTask {
  sessionId: string;
  conversationId: string;
  /** The platform message the turn answered (what its reply's `replyTo` named); none for a scheduled run. */
  messageId: string | undefined;
  platform: string;
  userId: string;
  request: string;
  reply: string;
  trajectory: ChatMessage[];
  toolCalls: number;
  toolErrors: number;
  errors: string[];
  skillsUsed: SkillUse[];
  stopReason: string;
  model: string | undefined;
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number };
  durationMs: number;
  outcome: Outcome;
  outcomeSource: OutcomeSource;
  createdAt: number;
}

export interface Task extends NewTask {
  id: number;
  selfAssessment: string | undefined;
  feedback: 'good' | 'bad' | undefined;
  feedbackReason: string | undefined;
  reflected: boolean;
}

/**
 * What an audit counts of a task (`talliesSince`): no words, which it reads one task at a time where a
 * report quotes them (`requestOf`), and no trajectory.
 */
export type TaskTally = Pick<Task, 'id' | 'createdAt' | 'platform' | 'outcome' | 'feedback' | 'toolErrors' | 'stopReason' | 'usage' | 'skillsUsed' | 'errors' | 'model'>;

interface TallyRow {
  id: number;
  created_at: number;
  platform: string;
  outcome: Outcome;
  feedback: 'good' | 'bad' | null;
  tool_errors: number;
  stop_reason: string;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  skills_used: string;
  errors: string;
  model: string | null;
}

interface TaskRow {
  id: number;
  session_id: string;
  conversation_id: string;
  message_id: string | null;
  platform: string;
  user_id: string;
  request: string;
  reply: string;
  trajectory: string;
  tool_calls: number;
  tool_errors: number;
  errors: string;
  skills_used: string;
  stop_reason: string;
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  duration_ms: number;
  outcome: Outcome;
  outcome_source: OutcomeSource;
  self_assessment: string | null;
  feedback: 'good' | 'bad' | null;
  feedback_reason: string | null;
  reflected: number;
  created_at: number;
}

/** Every column but the trajectory. */
const SUMMARY_COLUMNS = [
  'id', 'session_id', 'conversation_id', 'message_id', 'platform', 'user_id', 'request', 'reply', 'tool_calls', 'tool_errors', 'errors', 'skills_used', 'stop_reason', 'model',
  'prompt_tokens', 'completion_tokens', 'cached_tokens', 'duration_ms', 'outcome', 'outcome_source', 'self_assessment', 'feedback', 'feedback_reason', 'reflected', 'created_at',
].join(', ');

/**
 * What the words of a task read as once its person used `/forget` (of one note or all) after
 * asking it: its request, reply, trajectory, feedback reason and self-assessment may hold what
 * they deleted, and audits, reflection, `cairn tasks list` and exports read them. Its outcome,
 * counts, tool errors (their kinds: `terminal: tool_error`), skill uses and usage stay for the audits.
 */
export const FORGOTTEN_TASK_TEXT = '(Deleted with /forget.)';
/** Puts `@text` in place of task `@id`'s words (request, answer, steps, feedback reason, self-assessment): /forget's and a deletion's. */
export const FORGET_TASK_WORDS_SQL = `UPDATE tasks SET request = @text, reply = @text, trajectory = '[]',
    feedback_reason = CASE WHEN feedback_reason IS NULL THEN NULL ELSE @text END,
    self_assessment = CASE WHEN self_assessment IS NULL THEN NULL ELSE @text END
  WHERE id = @id`;
/** What a task's words read as once its sender deleted the message it answered (memory/withdrawn-history.ts). */
export const WITHDRAWN_TASK_TEXT = '(The message was deleted by its sender.)';

/** Whether a task's words were deleted, with `/forget` or by deleting the message (see FORGOTTEN_TASK_TEXT). */
export function isForgottenTask(task: Pick<Task, 'request'>): boolean {
  return task.request === FORGOTTEN_TASK_TEXT || task.request === WITHDRAWN_TASK_TEXT;
}

const skillUsesSchema = z.array(z.object({ name: z.string(), version: z.number().int() }));
const stringsSchema = z.array(z.string());
const trajectorySchema = z.array(z.record(z.string(), z.unknown()));

export class TaskStore {
  private readonly statements;
  private tallies: Database.Statement<[number], TallyRow> | undefined;

  constructor(private readonly db: Db) {
    this.statements = {
      insert: db.prepare(`INSERT INTO tasks (session_id, conversation_id, message_id, platform, user_id, request, reply, trajectory, tool_calls, tool_errors, errors,
        skills_used, stop_reason, model, prompt_tokens, completion_tokens, cached_tokens, duration_ms, outcome, outcome_source, created_at)
        VALUES (@sessionId, @conversationId, @messageId, @platform, @userId, @request, @reply, @trajectory, @toolCalls, @toolErrors, @errors,
        @skillsUsed, @stopReason, @model, @promptTokens, @completionTokens, @cachedTokens, @durationMs, @outcome, @outcomeSource, @createdAt)`),
      insertSkill: db.prepare('INSERT OR IGNORE INTO task_skills (task_id, skill, version) VALUES (?, ?, ?)'),
      get: db.prepare<[number], TaskRow>('SELECT * FROM tasks WHERE id = ?'),
      // Only while it is the person's latest answer: nothing they said in the conversation since.
      lastInConversationBy: db.prepare<[string, string], TaskRow>(
        `SELECT * FROM tasks t WHERE t.conversation_id = ? AND t.user_id = ? AND NOT EXISTS (
           SELECT 1 FROM messages m JOIN sessions s ON s.id = m.session_id
           WHERE s.conversation_id = t.conversation_id AND m.role = 'user' AND m.user_id = t.user_id AND m.created_at > t.created_at)
         ORDER BY t.id DESC LIMIT 1`,
      ),
      answering: db.prepare<[string, string], TaskRow>('SELECT * FROM tasks WHERE conversation_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1'),
      feedback: db.prepare("UPDATE tasks SET feedback = ?, feedback_reason = ?, outcome = ?, outcome_source = 'feedback' WHERE id = ?"),
      selfAssess: db.prepare("UPDATE tasks SET self_assessment = ?, outcome = ?, outcome_source = 'self' WHERE id = ? AND outcome_source != 'feedback'"),
      markReflected: db.prepare('UPDATE tasks SET reflected = 1 WHERE id = ?'),
      reassign: db.prepare<[string, string]>('UPDATE tasks SET user_id = ? WHERE user_id = ?'),
      reassignOn: db.prepare<[string, string, string]>('UPDATE tasks SET user_id = ? WHERE user_id = ? AND platform = ?'),
      recent: db.prepare<[number], TaskRow>('SELECT * FROM tasks ORDER BY id DESC LIMIT ?'),
      // Without trajectories ('[]' in their place): an audit reads every task there is, and their
      // trajectories together would be hundreds of megabytes on a bot that has run for months.
      since: db.prepare<[number], TaskRow>(`SELECT ${SUMMARY_COLUMNS}, '[]' AS trajectory FROM tasks WHERE created_at >= ? ORDER BY id`),
      request: db.prepare<[number], string>('SELECT request FROM tasks WHERE id = ?').pluck(),
      count: db.prepare('SELECT COUNT(*) FROM tasks').pluck(),
      wordsForgotten: db.prepare<[string, string, number], number>('SELECT request IN (?, ?) FROM tasks WHERE id = ?').pluck(),
      forgottenAt: db.prepare<[string], number | null>('SELECT forgotten_at FROM note_owners WHERE user_id = ?').pluck(),
      askedBefore: db.prepare<[string, number, string], { id: number; request: string }>('SELECT id, request FROM tasks WHERE user_id = ? AND created_at <= ? AND request != ?'),
      forgetWords: db.prepare<[{ id: number; text: string }]>(FORGET_TASK_WORDS_SQL),
      // A reflection's body retells the task (and may quote it).
      forgetReflections: db.prepare<[number]>('DELETE FROM reflections WHERE task_id = ?'),
      oldest: db.prepare('SELECT MIN(created_at) FROM tasks').pluck(),
    };
  }

  insert(recorded: NewTask): Task {
    // A turn its person asked before their /forget, made a task only now (feedback on a plain answer
    // remembered from before it): its words are not kept, as they would not be had it been one then.
    const forgottenAt = this.statements.forgottenAt.get(recorded.userId) ?? undefined;
    const task = forgottenAt !== undefined && recorded.createdAt <= forgottenAt ? withoutWords(recorded) : recorded;
    const id = this.db.transaction(() => {
      const result = this.statements.insert.run({
        ...task,
        trajectory: JSON.stringify(task.trajectory),
        errors: JSON.stringify(task.errors),
        skillsUsed: JSON.stringify(task.skillsUsed),
        model: task.model ?? null,
        messageId: task.messageId ?? null,
        promptTokens: task.usage.promptTokens,
        completionTokens: task.usage.completionTokens,
        cachedTokens: task.usage.cachedTokens,
      });
      const taskId = Number(result.lastInsertRowid);
      for (const use of task.skillsUsed) this.statements.insertSkill.run(taskId, use.name, use.version);
      return taskId;
    }).immediate();
    // Built from what was written rather than read back: the trajectory can be large.
    return { ...task, id, selfAssessment: undefined, feedback: undefined, feedbackReason: undefined, reflected: false };
  }

  get(id: number): Task | undefined {
    const row = this.statements.get.get(id);
    return row ? toTask(row) : undefined;
  }

  /**
   * The latest task of this user in the conversation, while it is their latest answer there
   * (undefined once they said more: feedback after a restart must not land on an older task).
   */
  lastInConversationBy(conversationId: string, userId: string): Task | undefined {
    const row = this.statements.lastInConversationBy.get(conversationId, userId);
    return row ? toTask(row) : undefined;
  }

  /** The task whose turn answered `messageId` in the conversation. */
  answering(conversationId: string, messageId: string): Task | undefined {
    const row = this.statements.answering.get(conversationId, messageId);
    return row ? toTask(row) : undefined;
  }

  /** The user's verdict wins over every other signal. */
  setFeedback(id: number, feedback: 'good' | 'bad', reason: string | undefined): void {
    this.statements.feedback.run(feedback, reason ?? null, feedback === 'good' ? 'success' : 'failure', id);
  }

  /** The model's own assessment, unless the user already judged the task. */
  setSelfAssessment(id: number, outcome: Outcome, assessment: string): void {
    this.statements.selfAssess.run(assessment, outcome, id);
  }

  /** Whose tasks these are now (`/link` joined two people under one key, or the key's holder left). */
  reassign(from: string, to: string): void {
    this.statements.reassign.run(to, from);
  }

  /** Gives back the tasks of one key on one platform to another (`/unlink`: an account takes back what it asked there). */
  reassignOnPlatform(from: string, to: string, platform: string): void {
    this.statements.reassignOn.run(to, from, platform);
  }

  /**
   * `/forget` (memory/forget.ts): the words of every task the person asked up to `before` are
   * replaced with FORGOTTEN_TASK_TEXT and their reflections deleted. Returns what those tasks had
   * asked (past audit reports may quote it: forgotten-quotes.ts).
   */
  forgetAskedBy(userId: string, before: number): string[] {
    return this.db.transaction(() => {
      const asked = this.statements.askedBefore.all(userId, before, FORGOTTEN_TASK_TEXT);
      for (const { id } of asked) {
        this.statements.forgetWords.run({ id, text: FORGOTTEN_TASK_TEXT });
        this.statements.forgetReflections.run(id);
      }
      return asked.map((task) => task.request);
    }).immediate();
  }

  /** Whether the task's words were deleted with `/forget` since it was read (see FORGOTTEN_TASK_TEXT). */
  wordsForgotten(id: number): boolean {
    return this.statements.wordsForgotten.get(FORGOTTEN_TASK_TEXT, WITHDRAWN_TASK_TEXT, id) === 1;
  }

  markReflected(id: number): void {
    this.statements.markReflected.run(id);
  }

  recent(limit: number): Task[] {
    return this.statements.recent.all(limit).map(toTask);
  }

  /** Tasks from `time` on, without their trajectories (empty): `get(id)` reads one whole. */
  summariesSince(time: number): Task[] {
    return this.statements.since.all(time).map(toTask);
  }

  /**
   * Tasks from `time` on, as an audit counts them, in task order: read from a small index, so an audit
   * of months of tasks takes milliseconds where reading the rows (`summariesSince`) took seconds.
   */
  talliesSince(time: number): TaskTally[] {
    // Only what the index of migrations 031 and 035 holds, so the table (the trajectories) is never read; INDEXED BY
    // makes losing that index an error rather than an audit that silently reads every trajectory again.
    // Prepared at the first audit, not in the constructor: a database opened before its migrations ran has no such index.
    this.tallies ??= this.db.prepare<[number], TallyRow>(
      `SELECT id, created_at, platform, outcome, feedback, tool_errors, stop_reason, prompt_tokens, completion_tokens, cached_tokens, skills_used, errors, model
       FROM tasks INDEXED BY tasks_for_audits WHERE created_at >= ? ORDER BY id`,
    );
    // Validating every row's JSON took three times as long as reading the rows: most repeat a handful of
    // texts ('[]', one skill at one version), each validated once per read here.
    const skillsUsed = parsedOnce((text) => parseJson(text, skillUsesSchema, []), (uses) => uses.map((use) => ({ ...use })));
    const errors = parsedOnce((text) => parseJson(text, stringsSchema, []), (list) => [...list]);
    return this.tallies.all(time).map((row) => toTally(row, skillsUsed, errors));
  }

  /** What the task asked (undefined when there is no such task). */
  requestOf(id: number): string | undefined {
    return this.statements.request.get(id);
  }

  count(): number {
    return this.statements.count.get() as number;
  }

  /** When the first task was recorded, if any. */
  oldestAt(): number | undefined {
    return (this.statements.oldest.get() as number | null) ?? undefined;
  }
}

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    sessionId: row.session_id,
    conversationId: row.conversation_id,
    messageId: row.message_id ?? undefined,
    platform: row.platform,
    userId: row.user_id,
    request: row.request,
    reply: row.reply,
    trajectory: parseJson(row.trajectory, trajectorySchema, []) as unknown as ChatMessage[],
    toolCalls: row.tool_calls,
    toolErrors: row.tool_errors,
    errors: parseJson(row.errors, stringsSchema, []),
    skillsUsed: parseJson(row.skills_used, skillUsesSchema, []),
    stopReason: row.stop_reason,
    model: row.model ?? undefined,
    usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, cachedTokens: row.cached_tokens },
    durationMs: row.duration_ms,
    outcome: row.outcome,
    outcomeSource: row.outcome_source,
    selfAssessment: row.self_assessment ?? undefined,
    feedback: row.feedback ?? undefined,
    feedbackReason: row.feedback_reason ?? undefined,
    reflected: row.reflected === 1,
    createdAt: row.created_at,
  };
}

function toTally(row: TallyRow, skillsUsed: (text: string) => SkillUse[], errors: (text: string) => string[]): TaskTally {
  return {
    id: row.id,
    createdAt: row.created_at,
    platform: row.platform,
    outcome: row.outcome,
    feedback: row.feedback ?? undefined,
    toolErrors: row.tool_errors,
    stopReason: row.stop_reason,
    usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, cachedTokens: row.cached_tokens },
    skillsUsed: skillsUsed(row.skills_used),
    errors: errors(row.errors),
    model: row.model ?? undefined,
  };
}

/** `parse` once per distinct text; each caller gets its own `copy` of the value. */
function parsedOnce<T>(parse: (text: string) => T, copy: (value: T) => T): (text: string) => T {
  const parsed = new Map<string, T>();
  return (text) => {
    let value = parsed.get(text);
    if (value === undefined) {
      value = parse(text);
      parsed.set(text, value);
    }
    return copy(value);
  };
}

function withoutWords(task: NewTask): NewTask {
  return { ...task, request: FORGOTTEN_TASK_TEXT, reply: FORGOTTEN_TASK_TEXT, trajectory: [] };
}

function parseJson<T>(text: string, schema: z.ZodType<T>, fallback: T): T {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Runs one task headless through the full agent (prompt prefix, tools, skills, the
 * tool loop) in a session and a user of its own, so no task sees another's context
 * or memory, and turns what happened into a trajectory. A failure or a timeout is
 * recorded with whatever the session persisted before it; only the run's own
 * abort (Ctrl-C) propagates, so that task is run again on --resume.
 */
import { randomUUID } from 'node:crypto';
import type { Cairn } from '../main.js';
import type { InboundMessage } from '../core/message.js';
import type { Session } from '../memory/sessions.js';
import type { TurnResult } from '../core/agent.js';
import type { Redactor } from '../core/redact.js';
import { CairnError, describeError, isCairnError } from '../core/errors.js';
import { hashText, redactTrajectory, toOpenAIMessage, toOpenAITool, toolStatsOf, TRAJECTORY_FORMAT, type OpenAIMessage, type OpenAITool, type Trajectory } from './trajectory.js';
import { realTimers, type Timers } from './pool.js';
import type { Rewarder } from './rewards/index.js';
import type { Task } from './tasks.js';

export interface AgentTaskOptions {
  cairn: Pick<Cairn, 'agent' | 'sessions' | 'tools' | 'db' | 'clock' | 'skills'>;
  timeoutMs: number;
  source: Trajectory['source'];
  redactor: Redactor;
  rewarder?: Rewarder | undefined;
  /** Offer admin-only tools (the operator runs the batch). */
  isAdmin?: boolean;
  timers?: Timers;
  /** Delete each task's session once its trajectory is built (a long Atropos run would grow the database forever). */
  forgetSessions?: boolean;
}

interface LedgerTotals {
  calls: number;
  ok: number;
  prompt: number;
  completion: number;
  cached: number;
  cost: number | null;
  /** Answered calls with a known cost. A failed attempt (a 429, a 5xx) has none and costs nothing. */
  pricedOk: number;
}

export class AgentTaskRunner {
  private readonly ledger;
  private readonly forget;
  private readonly timers: Timers;
  private tools: OpenAITool[] | undefined;

  constructor(private readonly options: AgentTaskOptions) {
    this.timers = options.timers ?? realTimers;
    // The usage ledger has every model call of the session, retries and compressions included.
    this.ledger = options.cairn.db.prepare<[string], LedgerTotals>(
      `SELECT COUNT(*) AS calls, COALESCE(SUM(ok), 0) AS ok, COALESCE(SUM(prompt_tokens), 0) AS prompt, COALESCE(SUM(completion_tokens), 0) AS completion,
              COALESCE(SUM(cached_tokens), 0) AS cached, SUM(cost_usd) AS cost, COUNT(CASE WHEN ok = 1 THEN cost_usd END) AS pricedOk FROM model_calls WHERE session_id = ?`,
    );
    this.forget = options.cairn.db.prepare<[string]>('DELETE FROM sessions WHERE id = ?');
  }

  /** Runs the task; throws only when `signal` (the whole run) aborted. */
  async run(task: Task, signal: AbortSignal): Promise<Trajectory> {
    const { cairn } = this.options;
    const startedAt = cairn.clock.now();
    const nonce = randomUUID().slice(0, 8);
    const message: InboundMessage = {
      platform: 'batch',
      conversationId: `batch:${task.id}:${nonce}`,
      userId: `batch:${task.id}:${nonce}`,
      senderId: `batch:${task.id}:${nonce}`,
      userName: 'batch',
      text: task.prompt,
      isDirect: true,
      isSelf: false,
      messageId: nonce,
      receivedAt: new Date(startedAt),
    };
    const deadline = new AbortController();
    const cancelTimer = this.timers.setTimeout(() => deadline.abort(new CairnError('timeout', `the task took longer than ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    let session: Session | undefined;
    let result: TurnResult | undefined;
    let failure: unknown;
    try {
      session = cairn.sessions.resolve(message);
      result = await cairn.agent.runTurn({ message, session, isAdmin: this.options.isAdmin ?? false, signal: AbortSignal.any([signal, deadline.signal]) });
    } catch (error) {
      if (signal.aborted) throw error;
      failure = error;
    } finally {
      cancelTimer();
      if (session) cairn.sessions.store.end(session.id, 'shutdown', cairn.clock.now());
    }
    const timedOut = failure !== undefined && deadline.signal.aborted;
    let trajectory = this.build(task, session, result, startedAt);
    if (session && this.options.forgetSessions) this.forget.run(session.id);
    if (failure !== undefined) {
      const error = timedOut ? deadline.signal.reason : failure;
      trajectory.status = timedOut ? 'timeout' : 'error';
      trajectory.errors.push({ code: isCairnError(error) ? error.code : 'internal', message: describeError(error) });
    }
    if (this.options.rewarder) trajectory = await this.options.rewarder.apply(trajectory, task, signal);
    // Rewards see the real answer; what is written has secrets masked.
    return redactTrajectory(trajectory, this.options.redactor);
  }

  /** The skill versions the agent viewed in this session, as the skills layer recorded them. */
  private skillsUsed(sessionId: string): Trajectory['skills'] {
    const seen = new Map<string, number>();
    for (const use of this.options.cairn.skills.uses.forSession(sessionId)) if (!seen.has(use.name)) seen.set(use.name, use.version);
    return [...seen].map(([name, version]) => ({ name, version }));
  }

  private build(task: Task, session: Session | undefined, result: TurnResult | undefined, startedAt: number): Trajectory {
    const { cairn } = this.options;
    const system = session?.prefix ?? '';
    const turn = result?.messages ?? (session ? cairn.sessions.store.allMessages(session.id).map((stored) => stored.message) : [{ role: 'user' as const, content: task.prompt }]);
    const messages: OpenAIMessage[] = [{ role: 'system', content: system }, ...turn.map(toOpenAIMessage)];
    const totals = session ? this.ledger.get(session.id) : undefined;
    const fromLedger = totals !== undefined && totals.calls > 0;
    return {
      format: TRAJECTORY_FORMAT,
      taskId: task.id,
      source: this.options.source,
      status: 'ok',
      model: result?.model ?? null,
      systemPromptHash: hashText(system),
      messages,
      // The tool set is fixed once Cairn is composed.
      tools: (this.tools ??= cairn.tools.definitions({ isAdmin: this.options.isAdmin ?? false }).map(toOpenAITool)),
      skills: session ? this.skillsUsed(session.id) : [],
      toolStats: toolStatsOf(result?.toolCalls ?? toolRecordsFrom(messages)),
      errors: [],
      usage: fromLedger
        ? { modelCalls: totals.ok, promptTokens: totals.prompt, completionTokens: totals.completion, cachedTokens: totals.cached, costUsd: totals.pricedOk === totals.ok ? (totals.cost ?? 0) : null }
        : // No ledger rows: a task refused before any request cost nothing; calls the ledger missed cost what nobody knows.
          { modelCalls: result?.steps ?? 0, promptTokens: result?.usage.promptTokens ?? 0, completionTokens: result?.usage.completionTokens ?? 0, cachedTokens: result?.usage.cachedTokens ?? 0, costUsd: (result?.steps ?? 0) === 0 ? 0 : null },
      timing: { startedAt: new Date(startedAt).toISOString(), durationMs: Math.max(0, cairn.clock.now() - startedAt), modelMs: result?.modelMs ?? 0 },
      stopReason: result?.stopReason ?? null,
      steps: result?.steps ?? 0,
      reward: null,
      rewardDetail: null,
      task,
    };
  }
}

/** Tool calls of an interrupted turn, from the persisted messages (their timing is unknown). */
function toolRecordsFrom(messages: readonly OpenAIMessage[]): { name: string; ok: boolean; durationMs: number }[] {
  return messages.flatMap((message) => (message.role === 'assistant' ? (message.tool_calls ?? []).map((call) => ({ name: call.function.name, ok: true, durationMs: 0 })) : []));
}

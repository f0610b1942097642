/**
 * Runs one task headless through the full agent (prompt prefix, tools, skills, the
 * tool loop) in a session and a user of its own, so no task sees another's context
 * or memory, and turns what happened into a trajectory. A failure or a timeout is
 * recorded with whatever the session persisted before it and the turn's record of
 * its tool calls; only the run's own abort (Ctrl-C) propagates, so that task is run
 * again on --resume. The task's execution environment is stopped when it ends.
 */
import { randomUUID } from 'node:crypto';
import type { Cairn } from '../main.js';
import type { InboundMessage } from '../core/message.js';
import type { Session } from '../memory/sessions.js';
import { turnCutShortBy, type TurnResult } from '../core/agent.js';
import type { Redactor } from '../core/redact.js';
import { CairnError, describeError, isCairnError } from '../core/errors.js';
import { hashText, redactTrajectory, toOpenAIMessage, toOpenAITool, toolStatsOf, TRAJECTORY_FORMAT, type OpenAIMessage, type OpenAITool, type Trajectory } from './trajectory.js';
import { realTimers, type Timers } from './pool.js';
import type { Rewarder } from './rewards/index.js';
import type { Task } from './tasks.js';

export interface AgentTaskOptions {
  cairn: Pick<Cairn, 'agent' | 'sessions' | 'tools' | 'db' | 'clock' | 'skills' | 'environments'>;
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
  /** The last system prompt's hash: a batch's tasks mostly share one prompt. */
  private lastHash: { system: string; hash: string } | undefined;

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
    let ended: Promise<void> = Promise.resolve();
    try {
      session = cairn.sessions.resolve(message);
      result = await cairn.agent.runTurn({ message, session, isAdmin: this.options.isAdmin ?? false, signal: AbortSignal.any([signal, deadline.signal]) });
    } catch (error) {
      failure = error;
    } finally {
      cancelTimer();
      if (session) ended = this.end(session);
    }
    if (failure !== undefined && signal.aborted) {
      await ended;
      throw failure;
    }
    const timedOut = failure !== undefined && deadline.signal.aborted;
    let trajectory = this.build(task, session, result, turnCutShortBy(failure), startedAt);
    if (session && this.options.forgetSessions) this.forget.run(session.id);
    if (failure !== undefined) {
      const error = timedOut ? deadline.signal.reason : failure;
      trajectory.status = timedOut ? 'timeout' : 'error';
      trajectory.errors.push({ code: isCairnError(error) ? error.code : 'internal', message: describeError(error) });
    }
    try {
      if (this.options.rewarder) trajectory = await this.options.rewarder.apply(trajectory, task, signal);
    } finally {
      await ended;
    }
    // Rewards see the real answer; what is written has secrets masked.
    return redactTrajectory(trajectory, this.options.redactor);
  }

  /**
   * Ends the task's session and stops its execution environment (workspace, processes it left
   * running, a container or sandbox). The session is ended on the store, past SessionManager's
   * listeners, so no notes are drawn from a task; the environment is released here instead.
   */
  private end(session: Session): Promise<void> {
    const { cairn } = this.options;
    cairn.sessions.store.end(session.id, 'shutdown', cairn.clock.now());
    return cairn.environments.release(session.id);
  }

  private hashOf(system: string): string {
    if (this.lastHash?.system !== system) this.lastHash = { system, hash: hashText(system) };
    return this.lastHash.hash;
  }

  /** The skill versions the agent viewed in this session, as the skills layer recorded them. */
  private skillsUsed(sessionId: string): Trajectory['skills'] {
    const seen = new Map<string, number>();
    for (const use of this.options.cairn.skills.uses.forSession(sessionId)) if (!seen.has(use.name)) seen.set(use.name, use.version);
    return [...seen].map(([name, version]) => ({ name, version }));
  }

  /** `result`: the finished turn; `cutShort`: a failed one as far as it got, undefined when it failed before it began. */
  private build(task: Task, session: Session | undefined, result: TurnResult | undefined, cutShort: TurnResult | undefined, startedAt: number): Trajectory {
    const { cairn } = this.options;
    // A failed turn's steps, model and tool calls (the failed ones among them) from its own record, not guessed from the messages.
    const turn = result ?? cutShort;
    const system = session?.prefix ?? '';
    const said = result?.messages ?? (session ? cairn.sessions.store.allMessages(session.id).map((stored) => stored.message) : [{ role: 'user' as const, content: task.prompt }]);
    const messages: OpenAIMessage[] = [{ role: 'system', content: system }, ...said.map(toOpenAIMessage)];
    const totals = session ? this.ledger.get(session.id) : undefined;
    const fromLedger = totals !== undefined && totals.calls > 0;
    return {
      format: TRAJECTORY_FORMAT,
      taskId: task.id,
      source: this.options.source,
      status: 'ok',
      model: turn?.model ?? null,
      systemPromptHash: this.hashOf(system),
      messages,
      // The tool set is fixed once Cairn is composed.
      tools: (this.tools ??= cairn.tools.definitions({ isAdmin: this.options.isAdmin ?? false }).map(toOpenAITool)),
      skills: session ? this.skillsUsed(session.id) : [],
      // No record of the turn: it failed before its tool loop began, so it ran no tool.
      toolStats: toolStatsOf(turn?.toolCalls ?? []),
      errors: [],
      usage: fromLedger
        ? { modelCalls: totals.ok, promptTokens: totals.prompt, completionTokens: totals.completion, cachedTokens: totals.cached, costUsd: totals.pricedOk === totals.ok ? (totals.cost ?? 0) : null }
        : // No ledger rows: a task refused before any request cost nothing; calls the ledger missed cost what nobody knows.
          { modelCalls: turn?.steps ?? 0, promptTokens: turn?.usage.promptTokens ?? 0, completionTokens: turn?.usage.completionTokens ?? 0, cachedTokens: turn?.usage.cachedTokens ?? 0, costUsd: (turn?.steps ?? 0) === 0 ? 0 : null },
      timing: { startedAt: new Date(startedAt).toISOString(), durationMs: Math.max(0, cairn.clock.now() - startedAt), modelMs: turn?.modelMs ?? 0 },
      stopReason: result?.stopReason ?? null,
      steps: turn?.steps ?? 0,
      reward: null,
      rewardDetail: null,
      task,
    };
  }
}

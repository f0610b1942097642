/**
 * Turns finished turns into tasks. A turn with tool calls is a task at once; any
 * other turn is remembered (per conversation, in memory) so that feedback on it can
 * still make it a task. Listeners hear about each new task (reflection, audits).
 */
import type { TurnInput, TurnResult } from '../core/agent.js';
import type { Clock } from '../core/clock.js';
import { outcomeFromTools } from './outcome.js';
import type { SkillUse, Task, TaskStore } from './tasks.js';

export type TaskListener = (task: Task, result: TurnResult) => void;

/** How many conversations' last plain turns are kept for late feedback. */
const REMEMBERED_TURNS = 1_000;

export class TaskRecorder {
  private readonly lastTurns = new Map<string, { input: TurnInput; result: TurnResult }>();
  private readonly listeners: TaskListener[] = [];

  constructor(
    private readonly tasks: TaskStore,
    private readonly clock: Clock,
    /** Which skill versions the turn used (from the skills layer); none when absent. */
    private readonly skillsUsed: (result: TurnResult) => SkillUse[] = () => [],
  ) {}

  onTask(listener: TaskListener): void {
    this.listeners.push(listener);
  }

  /** Agent turn listener. */
  readonly record = (input: TurnInput, result: TurnResult): void => {
    const conversationId = input.message.conversationId;
    this.lastTurns.delete(conversationId);
    if (result.toolCalls.length === 0) {
      this.lastTurns.set(conversationId, { input, result });
      if (this.lastTurns.size > REMEMBERED_TURNS) this.lastTurns.delete(this.lastTurns.keys().next().value as string);
      return;
    }
    this.insert(input, result);
  };

  /** The task feedback applies to: the conversation's last task, or its last turn made into one. */
  taskForFeedback(conversationId: string): Task | undefined {
    const pending = this.lastTurns.get(conversationId);
    if (pending) {
      this.lastTurns.delete(conversationId);
      return this.insert(pending.input, pending.result);
    }
    return this.tasks.lastInConversation(conversationId);
  }

  private insert(input: TurnInput, result: TurnResult): Task {
    const { outcome, source } = outcomeFromTools(result);
    const task = this.tasks.insert({
      sessionId: result.sessionId,
      conversationId: input.message.conversationId,
      platform: input.message.platform,
      userId: input.message.userId,
      request: input.message.text,
      reply: result.text,
      trajectory: result.messages,
      toolCalls: result.toolCalls.length,
      toolErrors: result.toolCalls.filter((call) => !call.ok).length,
      errors: result.toolCalls.filter((call) => !call.ok).map((call) => `${call.name}: ${call.error ?? 'error'}`),
      skillsUsed: this.skillsUsed(result),
      stopReason: result.stopReason,
      model: result.model,
      usage: result.usage,
      durationMs: result.durationMs,
      outcome,
      outcomeSource: source,
      createdAt: this.clock.now(),
    });
    for (const listener of this.listeners) listener(task, result);
    return task;
  }
}

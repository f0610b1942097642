/**
 * Turns finished turns into tasks. A turn with tool calls is a task at once; any
 * other turn is remembered for a while (in memory) so that feedback on it can still
 * make it a task. Listeners hear about each new task (reflection, audits).
 */
import type { TurnInput, TurnResult } from '../core/agent.js';
import type { Clock } from '../core/clock.js';
import { outcomeFromTools } from './outcome.js';
import type { SkillUse, Task, TaskStore } from './tasks.js';
import { sourcesOf } from '../core/coalesce.js';
import { isOrEdits } from '../core/withdrawals.js';

export type TaskListener = (task: Task, result: TurnResult) => void;

/** How many plain turns (over all conversations) are kept for late feedback. */
const REMEMBERED_TURNS = 1_000;

interface PlainTurn {
  input: TurnInput;
  result: TurnResult;
  /** The person who asked, as of the turn's end or the last link or unlink since (see `reassign`). */
  userId: string;
}

/** Which person key an account's turn is recorded under now (identity links); the key itself by default. */
export type PersonOf = (userId: string) => string;

export class TaskRecorder {
  /** Plain turns by conversation and the message they answered, oldest first. */
  private readonly plainTurns = new Map<string, PlainTurn>();
  /** People (by conversation) whose latest turn there is a plain one still remembered: its key in `plainTurns`. */
  private readonly latestPlain = new Map<string, string>();
  private readonly listeners: TaskListener[] = [];

  constructor(
    private readonly tasks: TaskStore,
    private readonly clock: Clock,
    /** Which skill versions the turn used (from the skills layer); none when absent. */
    private readonly skillsUsed: (result: TurnResult) => SkillUse[] = () => [],
    private readonly personOf: PersonOf = (userId) => userId,
  ) {}

  onTask(listener: TaskListener): void {
    this.listeners.push(listener);
  }

  /** Agent turn listener. */
  readonly record = (input: TurnInput, result: TurnResult): void => {
    const { conversationId, identity } = input.message;
    // The sender's person key as of now, not as of when the turn began: a turn still running when its
    // account was linked is the person's, like the answers `reassign` moved at the link.
    const userId = this.personOf(identity ?? input.message.userId);
    this.latestPlain.delete(turnKey(conversationId, userId));
    if (result.toolCalls.length > 0) {
      this.insert(input, result, userId, this.clock.now());
      return;
    }
    const key = turnKey(conversationId, input.message.messageId);
    this.plainTurns.delete(key);
    this.plainTurns.set(key, { input, result, userId });
    this.latestPlain.set(turnKey(conversationId, userId), key);
    if (this.plainTurns.size > REMEMBERED_TURNS) this.forget(this.plainTurns.keys().next().value as string);
  };

  /**
   * The task feedback applies to. `answered`: the message whose answer the feedback is on
   * (a reaction's), found among the tasks or the plain turns still remembered; without it,
   * the latest turn of `userId` in the conversation (in a group, one's own, not the last asker's).
   */
  taskForFeedback(conversationId: string, userId: string, answered?: string): Task | undefined {
    if (answered !== undefined) return this.tasks.answering(conversationId, answered) ?? this.promote(turnKey(conversationId, answered));
    const latest = this.latestPlain.get(turnKey(conversationId, userId));
    return (latest === undefined ? undefined : this.promote(latest)) ?? this.tasks.lastInConversationBy(conversationId, userId);
  }

  /**
   * A conversation moved to a new id (a Telegram group became a supergroup), with those inside it
   * (`<from>:…`): its remembered plain answers go along, in their order, so `/feedback` there still
   * finds them (tasks move in the database: memory/move-conversation.ts).
   */
  moveConversation(from: string, to: string): void {
    const movedId = (id: string) => (id === from ? to : id.startsWith(`${from}:`) ? `${to}${id.slice(from.length)}` : undefined);
    const renamed = new Map<string, string>();
    const turns = [...this.plainTurns];
    this.plainTurns.clear();
    for (const [key, turn] of turns) {
      const conversationId = movedId(turn.input.message.conversationId);
      if (conversationId === undefined) {
        this.plainTurns.set(key, turn);
        continue;
      }
      const movedKey = turnKey(conversationId, turn.input.message.messageId);
      renamed.set(key, movedKey);
      this.plainTurns.set(movedKey, { ...turn, input: { ...turn.input, message: { ...turn.input.message, conversationId } } });
    }
    for (const [person, key] of [...this.latestPlain]) {
      const movedKey = renamed.get(key);
      const turn = movedKey === undefined ? undefined : this.plainTurns.get(movedKey);
      if (movedKey === undefined || !turn) continue;
      this.latestPlain.delete(person);
      this.latestPlain.set(turnKey(turn.input.message.conversationId, turn.userId), movedKey);
    }
  }

  /**
   * Its sender deleted the message `messageId` (core/withdrawals.ts): a plain turn that answered it is forgotten,
   * so a 👍 on the answer later does not make a task of the words deleted (a task's words go in the database).
   */
  forgetAnswersTo(platform: string, messageId: string): void {
    for (const [key, turn] of [...this.plainTurns]) {
      if (turn.input.message.platform === platform && sourcesOf(turn.input.message).some((id) => isOrEdits(id, messageId))) this.forget(key);
    }
  }

  /** Whose turn answered `answered` in the conversation (a task's or a remembered plain turn's); undefined when unknown. */
  askerOf(conversationId: string, answered: string): string | undefined {
    return this.tasks.answering(conversationId, answered)?.userId ?? this.plainTurns.get(turnKey(conversationId, answered))?.userId;
  }

  /**
   * The tasks and remembered plain turns of one person key now belong to another (`/link` joined
   * two people, or the key's holder left with `/unlink`): feedback after it, typed or a reaction,
   * still finds the answers given before. `platform`: only those in its conversations (`/unlink`
   * gives an account back what it asked there).
   */
  reassign(from: string, to: string, platform?: string): void {
    if (platform === undefined) this.tasks.reassign(from, to);
    else this.tasks.reassignOnPlatform(from, to, platform);
    for (const turn of this.plainTurns.values()) {
      if (turn.userId === from && (platform === undefined || turn.input.message.platform === platform)) turn.userId = to;
    }
    for (const [person, key] of [...this.latestPlain]) {
      const turn = this.plainTurns.get(key);
      if (turn?.userId !== to || person === turnKey(turn.input.message.conversationId, to)) continue;
      this.latestPlain.delete(person);
      const { conversationId } = turn.input.message;
      // Both keys had answers in this conversation (two accounts of one person in one channel): the latest is the one typed feedback means.
      if (endOf(turn) >= this.latestEndOf(conversationId, to)) this.latestPlain.set(turnKey(conversationId, to), key);
    }
  }

  /** When the latest answer `userId` got in the conversation ended (a remembered plain turn or a task); -Infinity when none. */
  private latestEndOf(conversationId: string, userId: string): number {
    const key = this.latestPlain.get(turnKey(conversationId, userId));
    const plain = key === undefined ? undefined : this.plainTurns.get(key);
    return Math.max(plain ? endOf(plain) : -Infinity, this.tasks.lastInConversationBy(conversationId, userId)?.createdAt ?? -Infinity);
  }

  /** A remembered plain turn made into a task (feedback on it makes it one). */
  private promote(key: string): Task | undefined {
    const turn = this.plainTurns.get(key);
    if (!turn) return undefined;
    this.forget(key);
    // Dated when its turn ended, not now: a task dated at the reaction would pass for the person's
    // latest answer (typed /feedback would land on it) and fall on the wrong day in audits.
    return this.insert(turn.input, turn.result, turn.userId, endOf(turn));
  }

  private forget(key: string): void {
    const turn = this.plainTurns.get(key);
    this.plainTurns.delete(key);
    if (!turn) return;
    const person = turnKey(turn.input.message.conversationId, turn.userId);
    if (this.latestPlain.get(person) === key) this.latestPlain.delete(person);
  }

  private insert(input: TurnInput, result: TurnResult, userId: string, createdAt: number): Task {
    const { outcome, source } = outcomeFromTools(result);
    const task = this.tasks.insert({
      sessionId: result.sessionId,
      conversationId: input.message.conversationId,
      // What its replies' `answers` name, so a reaction on one finds this task (a scheduled run's own id included).
      messageId: input.message.messageId,
      platform: input.message.platform,
      userId,
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
      createdAt,
    });
    for (const listener of this.listeners) listener(task, result);
    return task;
  }
}

function endOf(turn: PlainTurn): number {
  return turn.result.startedAt + turn.result.durationMs;
}

function turnKey(conversationId: string, messageId: string): string {
  return `${conversationId}\n${messageId}`;
}

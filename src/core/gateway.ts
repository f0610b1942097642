/**
 * The core's one entrance. Adapters push every inbound message here; the gateway
 * drops the bot's own, other bots' and duplicate messages, answers commands, and
 * runs one turn at a time per conversation, conversations in parallel; messages that
 * wait behind a turn together are answered together. Errors are
 * caught here, once: logged by id, answered with a short sentence. Around it: turn-replies.ts
 * sends the answers, running-turns.ts keeps each conversation's turn (and /stop), and
 * command-answers.ts what is kept of the commands answered.
 */
import type { Adapter, AdapterHealth, InboundMessage, PostedMessage, ReplyButton, TurnEvent } from './message.js';
import type { Agent, TurnResult } from './agent.js';
import type { Clock } from './clock.js';
import { asTextUnlessCommand, type CommandRegistry } from './commands.js';
import type { Logger } from './logger.js';
import { CairnError, describeError, errorCodeOf, sqliteCodeOf } from './errors.js';
import { RunningTurns, type RunningTurn } from './running-turns.js';
import { TurnReplies, editable, replyToOf } from './turn-replies.js';
import { InboundDedupe } from './dedupe.js';
import { KeyedQueue } from './keyed-queue.js';
import { MessageBatches, withFilesRead } from './coalesce.js';
import { passesWordsOn } from './command-follow-up.js';
import { CommandAnswers, withUnreadFiles } from './command-answers.js';
import { withEarlier, withUserName } from './message-details.js';
import { userFacingError } from './user-errors.js';
import { inputProblem } from './input-problem.js';
import type { Transcriber } from '../model/transcribe.js';
import type { ImageDescriber } from '../model/vision.js';
import { FileReader } from './file-reader.js';
import type { DailyAllowance, TurnAdmission } from './allowance.js';
import type { KeptFiles } from './kept-files.js';
import type { SessionManager } from '../memory/session-manager.js';
import type { Db } from '../store/db.js';
import type { AccessControl } from '../access/index.js';
import type { Metrics } from './metrics.js';
import { settledWithin } from './settled-within.js';
import { lineAnswer } from './waiting-line.js';
import type { TurnsInProgress } from './turns-in-progress.js';
import type { HandleOutcome } from './handle-outcomes.js';
import { tellNotTaken } from './not-taken.js';
import { merged } from './coalesce.js';
import { STOPPED_AS_DELETED, Withdrawals } from './withdrawals.js';
import type { WithdrawnMessage } from '../memory/withdrawn-history.js';
import { stoppedWhileWaiting, takeRoom, TurnSlots } from './turn-slots.js';

export interface GatewayOptions {
  db: Db;
  sessions: SessionManager;
  agent: Agent;
  commands: CommandRegistry;
  clock: Clock;
  logger: Logger;
  maxInputChars: number;
  access: AccessControl;
  /** Turns voice messages into text; without one they are named as unreadable. */
  transcriber?: Transcriber | undefined;
  /** Describes images; without one they are named as unreadable. */
  describer?: ImageDescriber | undefined;
  /** Each person's daily token allowance; without one there is no limit. */
  allowance?: DailyAllowance | undefined;
  /** Keeps the files read into messages for the agent's attachment tools; without it none are kept. */
  keptFiles?: KeptFiles | undefined;
  /** Counts messages and turns by outcome; without it nothing is counted. */
  metrics?: Metrics | undefined;
  /** Keeps the turns under way in the database, so a start after a crash can say which it cut off; without it none are kept. */
  turnsInProgress?: TurnsInProgress | undefined;
  /** Removes a deleted message and Cairn's turn for it from what is kept (memory/withdrawn-history.ts); without it nothing is removed. */
  forgetWithdrawn?: ((message: WithdrawnMessage) => void) | undefined;
  /** The most turns running at once across conversations (turn-slots.ts); unset or 0: no cap. */
  maxTurnsAtOnce?: number | undefined;
}

export { HANDLE_OUTCOMES, TURN_OUTCOMES, type HandleOutcome } from './handle-outcomes.js';

const RESTARTING = 'Cairn is restarting. Please send that again in a minute.';
/** What a scheduled run cut off by a restart says instead: nobody sent it, and it runs again by itself. */
const restartingFor = (scheduleId: number): string => `Cairn is restarting: scheduled task #${scheduleId} runs when it is back.`;
/** What `work` says of a batch whose files could not be read together: its messages are answered one by one. */
const ONE_BY_ONE = Symbol('one by one');

export class Gateway {
  private readonly adapters = new Map<string, Adapter>();
  private readonly queue = new KeyedQueue();
  private readonly batches: MessageBatches<HandleOutcome>;
  private readonly dedupe: InboundDedupe;
  private readonly inFlight = new Set<AbortController>();
  /** The turn running in each conversation (the queue runs one at a time per conversation). */
  private readonly running: RunningTurns;
  private closing = false;
  /** Shutdown's grace period is over: turns in flight were aborted. */
  private pastDeadline = false;

  private readonly files: FileReader;
  private readonly replies: TurnReplies;
  private readonly commandAnswers = new CommandAnswers();
  private readonly withdrawals: Withdrawals;
  readonly slots: TurnSlots;

  constructor(private readonly options: GatewayOptions) {
    this.slots = new TurnSlots(options.maxTurnsAtOnce ?? 0);
    this.dedupe = new InboundDedupe(options.db);
    this.batches = new MessageBatches(this.queue, options.maxInputChars);
    this.running = new RunningTurns(options.access);
    this.withdrawals = new Withdrawals(this.running, options.logger, options.forgetWithdrawn);
    this.replies = new TurnReplies(this.adapters, options.logger);
    options.metrics?.runningTurns(() => this.runningTurns());
    options.metrics?.waitingMessages(() => this.queue.waitingTotal);
    options.metrics?.turnsWaitingForRoom(() => this.slots.waiting);
    this.files = new FileReader({ maxInputChars: options.maxInputChars, logger: options.logger, transcriber: options.transcriber, describer: options.describer, keep: options.keptFiles });
  }

  attach(adapter: Adapter): void {
    this.adapters.set(adapter.platform, adapter);
    this.options.metrics?.platformAttached(adapter.platform);
  }

  /** The sink adapters push into. Resolves when the message has been handled. */
  readonly receive = async (inbound: InboundMessage): Promise<HandleOutcome> => {
    // A message that throws (the database refuses its first write: a full disk, a volume gone read-only) counts as
    // failed: uncounted, /metrics showed no failure while every message was lost.
    let outcome: HandleOutcome = 'failed';
    let message = inbound;
    try {
      message = asTextUnlessCommand(inbound, this.options.commands);
      outcome = await this.accept(message);
      return outcome;
    } catch (error) {
      if (sqliteCodeOf(error) === undefined) throw error;
      await tellNotTaken(message, error, { ...this.options, reply: (to, reply) => this.replies.reply(to, reply) });
      return outcome;
    } finally {
      this.options.metrics?.message(inbound.platform, outcome);
    }
  };

  private async accept(inbound: InboundMessage): Promise<HandleOutcome> {
    const { logger, access, clock } = this.options;
    if (inbound.withdrawn !== undefined) return this.withdrawals.withdraw({ platform: inbound.platform, conversationId: inbound.conversationId, messageId: inbound.withdrawn });
    if (inbound.isSelf) return 'dropped-self';
    if (inbound.isBot) return 'dropped-bot';
    if (!this.dedupe.firstSighting(inbound.platform, inbound.messageId, clock.now())) {
      logger.debug({ platform: inbound.platform, messageId: inbound.messageId }, 'duplicate delivery dropped');
      return 'duplicate';
    }
    // In groups Cairn speaks only when spoken to. A bare `/word` not addressed to it is its own
    // command, or someone's path or another bot's command (`/tmp is full`): no "Unknown command".
    if (!inbound.isDirect && !inbound.addressed && !(inbound.command && this.options.commands.get(inbound.command.name))) return 'not-addressed';
    const decision = access.decide(inbound);
    // A task set by someone who has since lost access does not run (nor ask them to pair).
    if (inbound.scheduled && decision !== 'allow') {
      logger.info({ platform: inbound.platform, senderId: inbound.senderId, scheduleId: inbound.scheduled.id }, 'scheduled task of a user without access skipped');
      return 'denied';
    }
    // Only an adapter that can tell is asked (the wait lets a shutdown begin meanwhile: see `closing` below).
    if (inbound.scheduled && this.adapters.get(inbound.platform)?.accountGone) {
      const gone = await this.accountGone(inbound);
      if (gone !== undefined) {
        logger.info({ platform: inbound.platform, senderId: inbound.senderId, scheduleId: inbound.scheduled.id }, 'scheduled task of an account that is gone skipped');
        inbound.scheduled.ownerGone?.(gone);
        return 'denied';
      }
    }
    if (decision !== 'allow' && access.spendLinkCodeSeen(inbound)) logger.info({ platform: inbound.platform, senderId: inbound.senderId }, 'a link code typed in a group by an account without access was spent');
    if (decision === 'ignore') {
      logger.info({ platform: inbound.platform, senderId: inbound.senderId }, 'message from a user without access ignored');
      return 'denied';
    }
    if (decision === 'pair') {
      // By name where the platform sends only an id (Slack): the operator sees who asks in `cairn pairing list`.
      await this.replies.reply(inbound, { text: access.pairingReply(await withUserName(inbound, logger), clock.now()) });
      return 'pairing';
    }
    const message: InboundMessage = { ...inbound, identity: inbound.userId, userId: access.personOf(inbound.userId) };
    if (this.closing) {
      // A scheduled run: nobody sent it, and it runs again by itself.
      await this.replies.reply(message, { text: message.scheduled ? restartingFor(message.scheduled.id) : RESTARTING, isError: true });
      return 'closed';
    }
    const problem = inputProblem(message, this.files, this.options.maxInputChars);
    if (problem) {
      await this.replies.reply(message, { text: problem, isError: true });
      return 'rejected';
    }
    // A turn may be waiting on this command (an approval), so it cannot wait behind that turn.
    if (message.command && this.options.commands.get(message.command.name)?.immediate) return this.handle(message);
    const line = lineAnswer(message, this.batches.placeOf(message));
    if (line && 'refuse' in line) {
      await this.replies.reply(message, { text: line.refuse, isError: true });
      return 'busy';
    }
    const outcome = this.batches.run(message, (batch, parts) => this.handle(batch, parts), 'joined');
    // Said once it is in line (sent while it waits; the answer comes after it, in the same order).
    if (line) await this.replies.reply(message, { text: line.note });
    return outcome;
  }

  /** Each attached platform and how its connection is (an adapter that says nothing is well). */
  platformStates(): { platform: string; health: AdapterHealth }[] {
    return [...this.adapters.values()].map((adapter) => ({ platform: adapter.platform, health: this.replies.healthWith(adapter.platform, adapter.health?.() ?? { ok: true }) }));
  }

  /** How many turns run now (not those still waiting for their person's turn elsewhere). */
  runningTurns(): number {
    return this.running.count();
  }

  /** Whether a turn runs in the conversation now (the idle sweep leaves its session alone). */
  hasRunningTurn(conversationId: string): boolean {
    return this.running.has(conversationId);
  }

  /** Why the sender's account is gone (see Adapter.accountGone); a failure to tell is taken as not gone, so the run goes on. */
  private async accountGone(message: InboundMessage): Promise<string | undefined> {
    try {
      return await this.adapters.get(message.platform)?.accountGone?.(message.senderId, message.conversationId);
    } catch (error) {
      this.options.logger.warn({ platform: message.platform, senderId: message.senderId, err: describeError(error) }, 'could not tell whether a scheduled task’s owner still has an account; it runs');
      return undefined;
    }
  }

  /** The platforms of the attached adapters (what scheduled tasks' answers can be posted with). */
  platforms(): string[] {
    return [...this.adapters.keys()];
  }

  /** Posts a message to a conversation on its own (audit reports and approval requests to the admin channel). */
  async post(conversationId: string, text: string, buttons?: ReplyButton[]): Promise<PostedMessage | undefined> {
    const platform = conversationId.split(':')[0] ?? '';
    const adapter = this.adapters.get(platform);
    if (!adapter) throw new CairnError('not_found', `No ${platform || 'platform'} adapter is running to post to ${conversationId}.`);
    return editable(adapter, conversationId, await adapter.send(conversationId, { text, ...(buttons?.length ? { buttons } : {}) }));
  }

  /** Stops taking messages, lets turns in flight finish within the deadline, then aborts the rest. */
  async drain(deadlineMs: number, sleep: (ms: number) => Promise<void> = defaultSleep): Promise<void> {
    this.closing = true;
    const idle = this.queue.idle();
    const finished = await settledWithin(idle, deadlineMs, sleep);
    if (finished) return;
    this.options.logger.warn({ turns: this.inFlight.size }, 'shutdown deadline passed; aborting turns in flight');
    // Messages still waiting behind those turns are not started: nothing would stop them.
    this.pastDeadline = true;
    for (const controller of this.inFlight) controller.abort(new CairnError('aborted', 'Cairn is shutting down'));
    await idle;
  }

  /** /stop (running-turns.ts). */
  stopTurn(message: InboundMessage, isAdmin: boolean): string {
    return this.running.stop(message, isAdmin);
  }

  /** Runs a command or a turn (`parts`: the messages a batch is made of); a turn's outcome and time are counted. */
  private async handle(message: InboundMessage, parts: readonly InboundMessage[] = [message]): Promise<HandleOutcome> {
    // Deleted while it waited (withdrawals.ts): the others sent with it are answered without it.
    const kept = this.withdrawals.kept(parts);
    if (kept.length === 0) return 'withdrawn';
    if (kept.length < parts.length) return this.handle(merged(kept), kept);
    const started = performance.now();
    const outcome = await this.work(message, parts.length > 1);
    if (outcome === ONE_BY_ONE) return this.oneByOne(parts);
    // Its turn stopped for one deleted message of a batch: the rest are answered.
    if (outcome === 'withdrawn' && parts.length > 1) return this.handle(message, parts);
    const turnEnded = outcome === 'turn' || outcome === 'failed' || outcome === 'stopped';
    if (turnEnded && !message.command) this.options.metrics?.turn(message.platform, outcome, (performance.now() - started) / 1000);
    return outcome;
  }

  /**
   * A batch whose files could not be read (one message's file is damaged, or all of them together
   * are too long) is answered a message at a time, in order: the file's message gets why, and the
   * others sent with it are not lost with it (their files are read again, on this rare path). The
   * first message's outcome stands for the batch.
   */
  private async oneByOne(parts: readonly InboundMessage[]): Promise<HandleOutcome> {
    const outcomes: HandleOutcome[] = [];
    for (const part of parts) outcomes.push(await this.handle(part));
    return outcomes[0] ?? 'failed';
  }

  private async work(message: InboundMessage, batched = false): Promise<HandleOutcome | typeof ONE_BY_ONE> {
    if (this.pastDeadline) {
      // A scheduled run waiting behind another turn: nobody sent it, and it runs again by itself.
      const text = message.scheduled ? restartingFor(message.scheduled.id) : RESTARTING;
      await this.replies.reply(message, { text, isError: true });
      return 'closed';
    }
    const ids = { platform: message.platform, conversationId: message.conversationId, messageId: message.messageId };
    // Cancelled while its run waited for its turn here: it does not run after "Cancelled".
    if (message.scheduled?.cancelled?.()) {
      this.options.logger.info({ ...ids, scheduleId: message.scheduled.id }, 'scheduled task cancelled before its run began');
      return 'denied';
    }
    // Access revoked while the message waited behind another turn (`cairn pairing revoke`): it is not answered now.
    if (this.options.access.decide(message) !== 'allow') {
      this.options.logger.info({ ...ids, senderId: message.senderId }, 'message of a user whose access was revoked while it waited dropped');
      return 'denied';
    }
    const isAdmin = this.options.access.isAdmin(message);
    const controller = new AbortController();
    this.inFlight.add(controller);
    let turn: RunningTurn | undefined;
    let admission: TurnAdmission | undefined;
    let turnEnded: (() => void) | undefined;
    let room: (() => void) | undefined;
    try {
      if (message.command) {
        if (this.commandAnswers.reactedTo(message)) {
          this.options.logger.debug(ids, "a reaction on a command's reply let go: it judges no turn");
          return 'command';
        }
        // By name where the platform sends only an id: a decision shows who made it.
        const named = await withUserName(message, this.options.logger);
        const answer = await this.options.commands.run({ message: named, args: message.command.args, isAdmin, maxFileBytes: this.adapters.get(message.platform)?.capabilities.maxFileBytes });
        const text = typeof answer === 'string' ? answer : answer.text;
        // /new passes the files on with its words; any other command says it did not read them.
        const reply = { text: passesWordsOn(answer) ? text : withUnreadFiles(text, message), files: typeof answer === 'string' ? undefined : answer.files };
        // A command with nothing to say (a reaction that was not the sender's to give) sends nothing.
        if (reply.text !== '' || (reply.files?.length ?? 0) > 0) await this.replies.reply(message, reply);
        if (passesWordsOn(answer)) return await this.passOn({ ...message, command: undefined, text: answer.thenMessage });
        this.commandAnswers.remember(message);
        return 'command';
      }
      // Registered before the wait for the person's other turn (allowance.ts), so /stop reaches it there too.
      turn = this.running.begin(message, controller);
      turnEnded = this.options.turnsInProgress?.begin(message);
      admission = await this.options.allowance?.admit(message.userId, isAdmin, controller.signal);
      if (!admission?.refusal) room = await takeRoom(this.slots, message, turn, controller.signal, (text) => this.replies.reply(message, { text }));
      turn.waiting = false;
      if (admission?.refusal) {
        // A scheduled run's task hears why and says what becomes of it: a one-off runs when the allowance renews, and a repeating task's refusal is said once a day ('').
        const text = message.scheduled?.failed ? message.scheduled.failed(admission.refusal) : admission.refusal.message;
        if (text) await this.replies.reply(message, { text });
        else this.options.logger.info({ ...ids, scheduleId: message.scheduled?.id }, 'scheduled run refused by the daily allowance; said once today already');
        return 'rejected';
      }
      // Named and with its thread before its files are read: the room they get in the context depends on both.
      const { logger } = this.options;
      const read = await this.readFiles(await withEarlier(await withUserName(message, logger), controller.signal, logger), isAdmin, controller.signal);
      if (typeof read === 'string') {
        // The file is one message's: the others sent with it are answered all the same, each on its own.
        if (batched) return ONE_BY_ONE;
        turn.answering = true;
        await this.replies.reply(message, { text: read, isError: true, endsTurn: true });
        return 'failed';
      }
      const result = await this.turn(read, isAdmin, controller.signal, turn);
      turn.answering = true;
      this.options.logger.info({ ...ids, sessionId: result.sessionId, steps: result.steps, tools: result.toolCalls.length, ms: result.durationMs }, 'turn finished');
      // Cancelled while it ran: its owner was told "Cancelled", so its answer is not posted.
      if (message.scheduled?.cancelled?.()) {
        await this.replies.reply(message, { text: `Scheduled task #${message.scheduled.id} was cancelled while it ran; its answer is not posted.`, endsTurn: true });
        return 'denied';
      }
      await this.replies.reply(message, { text: result.text.trim() || 'The model returned an empty answer. Please rephrase, or /new to start over.', endsTurn: true });
      return 'turn';
    } catch (error) {
      // Deleted while answered: a word only in place of an answer partly showing (withdrawals.ts).
      if (turn?.withdrawn.length && !turn.stopped && !turn.answering) {
        this.options.logger.info(ids, 'turn stopped: the message it answers was deleted');
        if (turn.shown) await this.replies.reply(message, { text: STOPPED_AS_DELETED, endsTurn: true });
        return 'withdrawn';
      }
      // Not a failure to report; but the request still gets its answer, since some platforms
      // hold a placeholder for it (Discord's deferred "thinking…", Slack's response_url).
      if (turn?.stopped) {
        this.options.logger.info(ids, 'turn stopped with /stop');
        const text = turn.waiting ? stoppedWhileWaiting(turn) : 'Stopped. What I did so far stays in this conversation.';
        await this.replies.reply(message, { text, endsTurn: true });
        return 'stopped';
      }
      if (turn) turn.answering = true;
      // A scheduled run the shutdown cut off runs again at the next start: said so, not "send it again".
      if (message.scheduled && controller.signal.aborted) {
        this.options.logger.info({ ...ids, scheduleId: message.scheduled.id }, 'scheduled run cut off by the shutdown; it runs at the next start');
        await this.replies.reply(message, { text: `Cairn is restarting: scheduled task #${message.scheduled.id} was cut off, and runs again when it is back.`, isError: true, endsTurn: turn !== undefined });
        return 'closed';
      }
      this.options.logger.error({ ...ids, code: errorCodeOf(error), err: describeError(error) }, 'turn failed');
      await this.replies.reply(message, { text: message.scheduled?.failed?.(error) ?? userFacingError(error), isError: true, endsTurn: turn !== undefined });
      return 'failed';
    } finally {
      room?.();
      admission?.release();
      this.inFlight.delete(controller);
      if (turn) this.running.end(message.conversationId, turn);
      if (turn) this.withdrawals.ended(message, turn);
      // After its last word was sent: a crash before this is said at the next start.
      turnEnded?.();
      // A command answered while another turn runs there (/stop, /status) ends nothing the adapter shows: that turn's draft and typing go on.
      if (turn || !this.running.has(message.conversationId)) this.adapters.get(message.platform)?.progress?.(message.conversationId, { type: 'done' }, replyToOf(message));
    }
  }

  /** Words a command passed on (`/new what is …?`): the sender's message, checked as any, answered in the command's place in line. */
  private async passOn(message: InboundMessage): Promise<HandleOutcome> {
    const problem = inputProblem(message, this.files, this.options.maxInputChars);
    if (!problem) return this.handle(message);
    await this.replies.reply(message, { text: problem, isError: true });
    return 'rejected';
  }

  /**
   * Text files, voice messages and images become text in the message (see file-reader.ts), long files
   * cut to the room the turn leaves the message's text in its session. That session is resolved here,
   * with the files' text it may start with; the turn then finds the same one.
   */
  private async readFiles(message: InboundMessage, isAdmin: boolean, signal: AbortSignal): Promise<InboundMessage | string> {
    if (!this.files.canRead(message)) return message;
    this.adapters.get(message.platform)?.progress?.(message.conversationId, { type: 'typing' }, replyToOf(message));
    const tokenRoom = (read: InboundMessage) => this.options.agent.textRoom(read, this.options.sessions.resolve(read), isAdmin);
    return withFilesRead(message, await this.files.read(message, signal, tokenRoom));
  }

  private turn(message: InboundMessage, isAdmin: boolean, signal: AbortSignal, running: RunningTurn): Promise<TurnResult> {
    const adapter = this.adapters.get(message.platform);
    const session = this.options.sessions.resolve(message);
    const replyTo = replyToOf(message);
    const onEvent = adapter?.progress
      ? (event: TurnEvent) => {
          if (event.type === 'text-delta') running.shown = true;
          adapter.progress?.(message.conversationId, event, replyTo);
        }
      : undefined;
    return this.options.agent.runTurn({
      message,
      session,
      isAdmin,
      signal,
      ...(onEvent ? { onEvent } : {}),
      stream: adapter?.capabilities.streaming ?? false,
      // Throws when the platform refused it: an approval request nobody saw is not waited on.
      ...(adapter?.capabilities.hearsDuringTurn === false
        ? {}
        : { notify: async (text: string, buttons?: ReplyButton[]) => editable(adapter, message.conversationId, await this.replies.deliver(message, { text, ...(buttons?.length ? { buttons } : {}) })) }),
      sendFile: this.replies.fileSender(message),
    });
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

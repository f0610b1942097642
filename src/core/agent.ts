/**
 * The turn loop: persist the user's message, keep the context within budget, then
 * alternate model calls and tool calls until the model answers or a stop condition
 * ends the loop (then the model answers once more, not allowed to call tools). Every message is
 * persisted as it happens, so a crash mid-turn loses nothing already said.
 */
import type { Clock } from './clock.js';
import type { InboundMessage, TurnEvent } from './message.js';
import type { Logger } from './logger.js';
import { assembleMessages, estimateSystemTokens, messageBudget, systemMessage } from './prompt.js';
import { budgetAfterOverflow, budgetTooSmall, contextOverflow, leastSentTokens, oversizedMessageReply, reservedTokens, TruncationWatch } from './context-budget.js';
import { cutOffByLimit, cutOffCallReply, prepareStepCalls } from './step-calls.js';
import { firstStopReason, type LoopState, type StopCondition } from './stop.js';
import type { ChatMessage, CompletionResult, ModelClient, ToolCall, Usage } from '../model/types.js';
import type { Session, SessionStore } from '../memory/sessions.js';
import type { Compressor } from '../memory/compression.js';
import type { FileSender, Notify, ToolOutcome, ToolRegistry } from '../tools/registry.js';
import { CairnError, describeError, errorCodeOf, isCairnError } from './errors.js';
import { unsavedAnswerNote } from './user-errors.js';
import { withReplyContext, withThreadContext } from './reply-context.js';
import { withAttachmentNote } from './attachments.js';
import { sourcesOf } from './coalesce.js';
import { estimateMessageTokens, estimateTokens } from '../memory/tokens.js';
import type { PersonZone } from '../time-zones/index.js';
import { speakerName, withSpeakerShown } from './group-speaker.js';
import { withLanguageNote } from '../languages/prompt.js';

export interface AgentOptions {
  store: SessionStore;
  model: ModelClient;
  tools: ToolRegistry;
  compressor: Compressor;
  stopWhen: readonly StopCondition[];
  contextTokens: number;
  clock: Clock;
  logger: Logger;
  /** The time zone of a message's sender (time-zones/): what current_time, schedule_task and memory_search use on their turn. */
  zoneOf?: ((message: InboundMessage) => PersonZone) | undefined;
  /** The language a message's sender's app is set to (languages/): in a group, said with a message that has no words of theirs. */
  languageOf?: ((message: InboundMessage) => string | undefined) | undefined;
}

export interface TurnInput {
  message: InboundMessage;
  session: Session;
  isAdmin: boolean;
  signal: AbortSignal;
  /** Progress for the adapter; text deltas are only produced when `stream` is true. */
  onEvent?: (event: TurnEvent) => void;
  stream?: boolean;
  /** Posts a message into the conversation while the turn runs (a tool asking for approval). */
  notify?: Notify;
  /** Sends a file into the conversation while the turn runs (send_file); absent where the platform takes none. */
  sendFile?: FileSender | undefined;
}

export interface ToolCallRecord {
  id: string;
  name: string;
  ok: boolean;
  error: string | undefined;
  durationMs: number;
}

export interface TurnResult {
  sessionId: string;
  text: string;
  /** 'answered', or the stop condition that ended the tool loop. */
  stopReason: string;
  steps: number;
  toolCalls: ToolCallRecord[];
  usage: Usage;
  model: string | undefined;
  startedAt: number;
  durationMs: number;
  /** Time spent waiting on the model, so core overhead can be measured. */
  modelMs: number;
  /** Messages this turn added, user message first (the trajectory of the turn). */
  messages: ChatMessage[];
}

export type TurnListener = (input: TurnInput, result: TurnResult) => void;

/** Failed turns as they stood, by the error they threw: kept beside it, so the error others catch is unchanged. */
const turnsCutShort = new WeakMap<object, TurnResult>();

/**
 * The turn `error` cut short, as far as it got (its steps, tool calls and their outcomes, model),
 * when runTurn threw it; undefined for any other error. Batch trajectories record failed tasks with it.
 */
export function turnCutShortBy(error: unknown): TurnResult | undefined {
  return typeof error === 'object' && error !== null ? turnsCutShort.get(error) : undefined;
}

const FINAL_ANSWER_NOTE = 'You have used the tool steps available for this message. Answer the user now with what you have, without calling tools.';
/** Said when the model still only tried to call tools after the step limit. */
/** The reason a turn's signal carries when its person said /stop (a restart carries another). */
export const STOPPED_BY_USER = 'Stopped with /stop.';
const CUT_OFF = '[My answer was cut off at the length limit. Say "continue" for the rest.]';
const FILTERED = "[The provider's content filter stopped this answer.]";
const OUT_OF_STEPS = "I used all the tool steps I have for one message before I could finish. Say \"continue\" and I'll pick up where I stopped.";
/** Requests of one turn tried again within a smaller budget after the provider refused them as over the model's context, or cut them to it. */
const MAX_OVERFLOW_RETRIES = 3;
/** Estimates of the text and of what surrounds it may differ from the whole's by a token or so where they meet (rounding; a run of digits or marks split between them). */
const JOIN_SLACK_TOKENS = 8;

export class Agent {
  private readonly listeners: TurnListener[] = [];
  private warnedBudgetTooSmall = false;
  /** Models a silently cut prompt was warned of (see silentTruncation): once each, not on every session that learns it. */
  private readonly warnedTruncation = new Set<string>();
  private readonly truncations = new TruncationWatch();

  constructor(private readonly options: AgentOptions) {}

  onTurnFinished(listener: TurnListener): void {
    this.listeners.push(listener);
  }

  async runTurn(input: TurnInput): Promise<TurnResult> {
    const { store, clock } = this.options;
    const startedAt = clock.now();
    const inbound = input.message;
    // A batch's text already carries what its messages replied to: its own words came apart (coalesce.ts).
    const said = withAttachmentNote(inbound.ownText ?? inbound.text, inbound.attachments);
    // Asked on every turn, so a language the platform gave with the message is kept for the account's later runs.
    const userMessage = userMessageOf(inbound, this.options.languageOf?.(inbound));
    const tools = this.options.tools.definitions({ isAdmin: input.isAdmin });
    // Each request also carries the tool definitions and needs room for the reply: the messages get what is left.
    const { compressor } = this.options;
    let reserved = reservedTokens(compressor.contextFor(input.session), tools);
    this.refuseOversized(userMessage, input.session, reserved);
    // Others' words added before the sender's are kept apart too: notes drawn from this message are the sender's.
    // With the platform messages it came from, so a deletion of one finds it (withdrawals.ts).
    store.append(input.session.id, [{ message: userMessage, userId: input.message.userId, sources: sourcesOf(inbound), ...(userMessage.content !== said ? { said } : {}) }], startedAt);

    let session = input.session;
    let history = store.messages(session);
    /** Whether the history nears the session's budget (smaller once the provider taught one). */
    const overBudget = () => {
      reserved = reservedTokens(compressor.contextFor(session), tools);
      return compressor.needsCompression(session, history, reserved);
    };
    // Awaited only when it compresses: the turn's first model call is not put behind a tick for nothing.
    const compressHistory = async () => {
      // The aux model may take a while over a long conversation: the person sees that the turn has begun.
      input.onEvent?.({ type: 'typing' });
      session = await compressor.compress(session, history, input.signal, input.message.userId, !input.message.isDirect);
      history = store.messages(session);
    };
    if (overBudget()) await compressHistory();

    const added: ChatMessage[] = [userMessage];
    const usage: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
    const toolCalls: ToolCallRecord[] = [];
    const state: LoopState = { steps: 0, toolCalls: 0, toolErrors: 0, consecutiveFailedSteps: 0 };
    const toolContext = { sessionId: session.id, conversationId: session.conversationId, userId: input.message.userId, platform: input.message.platform, sender: { identity: input.message.identity ?? input.message.userId, id: input.message.senderId, name: input.message.userName, isDirect: input.message.isDirect }, isAdmin: input.isAdmin, signal: input.signal, now: () => clock.now(), ...(input.notify ? { notify: input.notify } : {}), ...(input.sendFile ? { sendFile: input.sendFile } : {}), ...zoneFor(this.options.zoneOf, inbound) };
    let modelMs = 0;
    let stopReason: string | undefined;
    let text = '';
    // Written beside a tool call (the answer, then memory_save): the answer when the reply after the results is empty.
    let textBesideTools = '';
    let model: string | undefined;
    let overflows = 0;

    /** The turn as it stands, ended for `reason`: at its answer, or cut short by an error or /stop. */
    const resultSoFar = (reason: string): TurnResult => ({
      sessionId: session.id,
      text,
      stopReason: reason,
      steps: state.steps,
      toolCalls,
      usage,
      model,
      startedAt,
      durationMs: clock.now() - startedAt,
      modelMs,
      messages: added,
    });

    const record = (message: ChatMessage) => {
      // Every message of the turn carries its speaker, so private tool results stay theirs.
      store.append(session.id, [{ message, userId: input.message.userId }], clock.now());
      added.push(message);
    };

    try {
      for (;;) {
        const finalOnly = stopReason !== undefined;
        if (state.steps > 0) history = store.messages(session);
        const messages = assembleMessages({
          prefix: session.prefix,
          summary: session.summary,
          history,
          maxTokens: compressor.contextFor(session),
          reservedTokens: reserved,
          viewer: input.message.userId,
          isPrivateTool: (name) => this.options.tools.isPrivate(name),
          viewerIsAdmin: input.isAdmin,
          isAdminOnlyTool: (name) => this.options.tools.isAdminOnly(name),
        });
        if (finalOnly) messages[0] = { role: 'system', content: `${messages[0]?.content ?? ''}\n\n${FINAL_ANSWER_NOTE}` };
        input.onEvent?.({ type: 'typing' });
        const callStarted = clock.now();
        let result: CompletionResult;
        try {
          result = await this.options.model.complete({
            messages,
            // The answer after the step limit: tools defined (see toolChoice) but not to be called.
            ...(finalOnly ? { hideToolCallText: true, tools, toolChoice: 'none' as const } : { tools }),
            ...(session.model ? { model: session.model } : {}),
            purpose: 'chat',
            sessionId: session.id,
            userKey: input.message.userId,
            signal: input.signal,
            ...(input.stream && input.onEvent ? { onTextDelta: (delta: string) => input.onEvent?.({ type: 'text-delta', text: delta }), onTextReset: (reason) => input.onEvent?.({ type: 'text-reset', reason }) } : {}),
          });
        } catch (error) {
          // Over the model's context by the provider's count: the same step again within less, the history compressed to it.
          const overflow = contextOverflow(error);
          if (!overflow || overflows >= MAX_OVERFLOW_RETRIES || input.signal.aborted) throw error;
          overflows++;
          modelMs += clock.now() - callStarted;
          const budget = compressor.contextFor(session);
          const sent = messages.reduce((sum, message) => sum + estimateMessageTokens(message), 0) + reservedTokens(budget, tools);
          compressor.learnContext(session, budgetAfterOverflow(budget, overflow, sent));
          this.options.logger.warn({ sessionId: session.id, contextTokens: compressor.contextFor(session), ...overflow }, 'the provider refused the request as over its context; trying again within less');
          history = store.messages(session);
          if (overBudget()) await compressHistory();
          continue;
        }
        modelMs += clock.now() - callStarted;
        // A stop that came as the answer did: nothing of it is used.
        input.signal.throwIfAborted();
        // Cut to the model's context without a word (Ollama): the answer may have been made without the system prompt (who
        // Cairn is, its rules, in hermes mode its tools) and its tool calls from a part of the conversation. The session keeps
        // within what the model read from now on, and the answer is not used: the step is made again, as after a refusal.
        // Past the retries it stands, the best there is.
        const readTokens = this.truncations.check(`${session.id}\u0000${result.model}`, leastSentTokens(messages), result.usage);
        if (readTokens !== undefined) {
          compressor.learnContext(session, budgetAfterOverflow(compressor.contextFor(session), { limit: readTokens, requested: undefined }));
          this.warnTruncated(session.id, result.model, readTokens, compressor.contextFor(session));
        }
        if (readTokens !== undefined && overflows < MAX_OVERFLOW_RETRIES) {
          overflows++;
          addUsage(usage, result.usage);
          // What was streamed of the answer is taken back, as when the model client tries a call again.
          if (input.stream) input.onEvent?.({ type: 'text-reset', reason: 'retry' });
          history = store.messages(session);
          if (overBudget()) await compressHistory();
          continue;
        }
        state.steps++;
        model = result.model;
        addUsage(usage, result.usage);
        // Names, ids and arguments the provider would refuse in the history (and so in every later request) are mended first.
        const { calls, repeats } = prepareStepCalls(finalOnly ? [] : result.toolCalls);
        if (repeats > 0) this.options.logger.info({ sessionId: session.id, repeats }, 'identical tool calls in one reply run once');
        if (calls.length === 0) {
          // Kept as said, so that "continue" finds it in the history.
          text = finalOnly && result.text.trim() === '' ? OUT_OF_STEPS : result.text;
          // Refused by a full disk or a read-only database: the answer was made (and paid for), so it goes out all the same, saying it is not kept.
          let unsaved: string | undefined;
          try {
            record({ role: 'assistant', content: text });
          } catch (error) {
            unsaved = unsavedAnswerNote(error);
            if (unsaved === undefined) throw error;
            this.options.logger.error({ sessionId: session.id, code: errorCodeOf(error), err: describeError(error) }, 'the answer could not be saved; it is sent all the same');
          }
          // Already in the history beside its tool calls, so only shown, not stored twice.
          if (text.trim() === '') text = textBesideTools;
          // Cut at the model's output limit: the reader is told the rest is missing, and how to get it.
          if (result.finishReason === 'length') text = withNote(text, CUT_OFF);
          // Stopped by the provider's filter (Azure OpenAI, OpenRouter): said so, and alone when nothing came (not "rephrase", as for an empty answer).
          if (result.finishReason === 'content_filter') text = withNote(text, FILTERED);
          if (unsaved) text = withNote(text, unsaved);
          break;
        }
        if (result.text.trim() !== '') textBesideTools = result.text;
        // A thinking model's reasoning stays with its tool calls: some providers refuse the history without it.
        record({ role: 'assistant', content: result.text || null, toolCalls: calls.map((call) => call.recorded), ...(result.reasoning ? { reasoning: result.reasoning } : {}) });
        let stepSucceeded = false;
        for (const { run: call } of calls) {
          // A tool that did not heed the stop (an upload under way) finished: the rest of the calls do not run.
          input.signal.throwIfAborted();
          const outcome = await this.runTool(call, toolContext, input, toolCalls, cutOffByLimit(call, result.finishReason));
          state.toolCalls++;
          if (outcome.ok) stepSucceeded = true;
          else state.toolErrors++;
          record({ role: 'tool', toolCallId: call.id, name: call.name, content: outcome.content });
        }
        state.consecutiveFailedSteps = stepSucceeded ? 0 : state.consecutiveFailedSteps + 1;
        stopReason = firstStopReason(this.options.stopWhen, state);
        if (stopReason) this.options.logger.info({ sessionId: session.id, reason: stopReason }, 'tool loop stopped');
      }
    } catch (error) {
      // A turn that ran tools and then failed or was stopped is a task too (a failed one): audits,
      // skill outcomes and reflection count it. One without tools is the person's latest turn all the
      // same, which "/feedback bad" right after it is about (not the answer before it). One cut off
      // by a restart is no fault of its own.
      const soFar = resultSoFar(input.signal.aborted ? 'stopped by the user' : `error: ${isCairnError(error) ? error.code : 'internal'}`);
      if (typeof error === 'object' && error !== null) turnsCutShort.set(error, soFar);
      if (!(input.signal.aborted && !isStop(input.signal))) this.tellListeners(input, soFar);
      throw error;
    }

    const finished = resultSoFar(stopReason ?? 'answered');
    this.tellListeners(input, finished);
    return finished;
  }

  /**
   * The tokens the text of `message` may take in `session` before the turn refuses it: the room a
   * request leaves one message, less what the turn adds around the text (the message it replies
   * to, the thread before it, its unread attachments). The file reader cuts files to it.
   */
  textRoom(message: InboundMessage, session: Session, isAdmin: boolean): number {
    const reserved = reservedTokens(this.options.contextTokens, this.options.tools.definitions({ isAdmin }));
    const around = estimateMessageTokens(userMessageOf(message, this.options.languageOf?.(message))) - estimateTokens(message.text);
    return this.messageRoom(session, reserved) - around - JOIN_SLACK_TOKENS;
  }

  /**
   * A message that alone outgrows the room a request leaves for messages would be sent past the
   * budget (refused, or cut at its start by the server): it is refused here, with the figures,
   * before anything is stored.
   */
  private refuseOversized(message: ChatMessage, session: Session, reserved: number): void {
    const { contextTokens, logger } = this.options;
    if (!this.warnedBudgetTooSmall && budgetTooSmall(contextTokens, estimateSystemTokens(systemMessage(session.prefix, session.summary)) + reserved)) {
      this.warnedBudgetTooSmall = true;
      logger.warn({ contextTokens, reserved }, 'CAIRN_CONTEXT_TOKENS is smaller than the system prompt, tool definitions and reply need; requests will go over it');
    }
    const room = this.messageRoom(session, reserved);
    const tokens = estimateMessageTokens(message);
    if (tokens > room) throw new CairnError('invalid_input', oversizedMessageReply(tokens, room));
  }

  /** The warning that a model's server cut a prompt to its context: once a model, at debug after. */
  private warnTruncated(sessionId: string, model: string, readTokens: number, contextTokens: number): void {
    const fields = { sessionId, model, readTokens, contextTokens };
    if (this.warnedTruncation.has(model)) {
      this.options.logger.debug(fields, 'the model server cut a prompt to its context; trying again within less');
      return;
    }
    if (this.warnedTruncation.size < 64) this.warnedTruncation.add(model);
    this.options.logger.warn(
      fields,
      `the model server read only about ${readTokens} tokens of the prompt: it cut it to the model's context without an error (Ollama does, at num_ctx), ` +
        'the system prompt and older turns first. This session now keeps within that and tries again; set CAIRN_CONTEXT_TOKENS to the context the ' +
        "model is run with, or raise it on the server (Ollama: OLLAMA_CONTEXT_LENGTH, or num_ctx in the model's Modelfile)",
    );
  }

  /** The tokens one message may take in `session`, beside its system prompt and what is `reserved`. */
  private messageRoom(session: Session, reserved: number): number {
    return messageBudget(this.options.contextTokens, systemMessage(session.prefix, session.summary), reserved);
  }

  private tellListeners(input: TurnInput, result: TurnResult): void {
    for (const listener of this.listeners) {
      try {
        listener(input, result);
      } catch (error) {
        // Recording or learning from a turn must never cost the user their reply.
        this.options.logger.error({ sessionId: result.sessionId, err: describeError(error) }, 'turn listener failed');
      }
    }
  }

  private async runTool(call: ToolCall, context: Parameters<ToolRegistry['execute']>[1], input: TurnInput, records: ToolCallRecord[], cutOff: boolean) {
    const started = this.options.clock.now();
    let outcome: ToolOutcome;
    if (cutOff) {
      outcome = { ok: false, content: cutOffCallReply(call.name), error: 'cut off at the output limit' };
    } else {
      input.onEvent?.({ type: 'tool-call', name: call.name });
      outcome = await this.options.tools.execute(call, context);
    }
    records.push({ id: call.id, name: call.name, ok: outcome.ok, error: outcome.error, durationMs: this.options.clock.now() - started });
    if (!outcome.ok) this.options.logger.debug({ sessionId: context.sessionId, tool: call.name, error: outcome.error }, 'tool call failed');
    return outcome;
  }
}

/** The asker's zone for the tools, looked up when a tool asks: a zone set earlier in the turn counts. */
function zoneFor(zoneOf: AgentOptions['zoneOf'], message: InboundMessage): { zone?: () => PersonZone } {
  return zoneOf ? { zone: () => zoneOf(message) } : {};
}

/** Stopped by the person (/stop), not cut off by a restart. */
function isStop(signal: AbortSignal): boolean {
  return isCairnError(signal.reason) && signal.reason.message === STOPPED_BY_USER;
}

function addUsage(total: Usage, add: Usage): void {
  total.promptTokens += add.promptTokens;
  total.completionTokens += add.completionTokens;
  total.cachedTokens += add.cachedTokens;
}

/**
 * The message as the model reads it: the words with the attachments left unread, what they reply to and the thread before them;
 * in a group, with the speaker's name (group-speaker.ts) and, where it has no words of theirs, their app's language (languages/).
 */
function userMessageOf(inbound: InboundMessage, language: string | undefined): Extract<ChatMessage, { role: 'user' }> {
  const content = withThreadContext(withReplyContext(withAttachmentNote(inbound.text, inbound.attachments), inbound.replyingTo), inbound.earlier);
  if (inbound.isDirect) return { role: 'user', content };
  return { role: 'user', content: withLanguageNote(withSpeakerShown(content, inbound), inbound, language), name: speakerName(inbound) };
}

/** A note on how the answer ended, below what came of it; alone when nothing did. */
function withNote(text: string, note: string): string {
  const said = text.trimEnd();
  return said === '' ? note : `${said}\n\n${note}`;
}

/**
 * Keeps a long session within the model's context: when the prompt nears the budget,
 * the aux model folds the older turns (and any earlier summary) into one summary and
 * the most recent turns stay verbatim. Messages are never deleted; the session only
 * records how far the summary reaches.
 */
import type { ModelClient, ChatMessage, CompletionResult } from '../model/types.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/errors.js';
import type { Session, SessionStore, StoredMessage } from './sessions.js';
import { estimateTokens } from './tokens.js';
import { truncateMiddle } from '../tools/truncate.js';
import { messageRoom } from '../core/context-budget.js';
import { estimateSystemTokens } from '../core/prompt.js';
import { setBounded } from '../core/bounded-map.js';

export interface CompressorOptions {
  store: SessionStore;
  model: ModelClient;
  auxModel: string | undefined;
  contextTokens: number;
  /** Fraction of contextTokens that triggers compression. */
  compressAt: number;
  keepRecentTurns: number;
  logger: Logger;
  /** Tools whose results belong to one person (their notes): left out of the shared summary. */
  isPrivateTool?: (name: string) => boolean;
  /** Tools offered to admins only (terminal, files): their arguments and results are left out of the shared summary, which everyone reads. */
  isAdminOnlyTool?: (name: string) => boolean;
}

/** Which tools' results the shared summary leaves out (and, for admin-only ones, their arguments). */
interface SummaryFilter {
  isPrivateTool(name: string): boolean;
  isAdminOnlyTool(name: string): boolean;
}

const SUMMARY_INSTRUCTIONS = [
  'You compress the earlier part of a conversation between people and an AI agent so the agent can continue it.',
  'Write a concise summary in the third person that keeps: what the user wants, decisions made, facts and numbers given,',
  'names, file paths, commands and their results that still matter, what was tried and failed, and open questions.',
  'Keep every standing instruction a person gave for the rest of the conversation (how to answer, what always or never to do), in their words.',
  'A group conversation has several people, each line of theirs named ("User (Alice):"): keep who asked for, decided,',
  'owns or promised what, by name, so that no request, deadline or decision is attributed to the wrong person.',
  'Leave out pleasantries. Do not invent anything. Answer with the summary only.',
].join(' ');

/**
 * Tool output beyond the first of these is cut when shown to the summarizer; when a fold is still
 * over its budget (one early turn of many long results) the next, smaller ones are tried in turn.
 * A user message may take four times as much, an answer twice.
 */
const TRANSCRIPT_ITEM_CHARS = [2_000, 1_000, 500, 250, 120] as const;
const DEFAULT_ITEM_CHARS = TRANSCRIPT_ITEM_CHARS[0];
/** The share of the context one summarizer request may fill (the rest: its instructions and answer). */
const SUMMARIZER_SHARE = 0.5;
/** Summarizer calls one turn may make to catch up on a backlog (after an outage of the aux model); the rest waits for the next turns. */
const MAX_FOLDS_PER_TURN = 3;
/** Sessions whose smaller context is remembered (see learnContext); the oldest goes first past this. */
const LEARNED_CONTEXTS_KEPT = 1_024;

export class Compressor {
  /** Budgets smaller than contextTokens that the provider's refusals taught, by session and model (see learnContext). */
  private readonly learned = new Map<string, number>();

  constructor(private readonly options: CompressorOptions) {}

  /**
   * The context budget of the session on its model now: CAIRN_CONTEXT_TOKENS, or less where the provider refused a request
   * built for more (its tokenizer counts more than Cairn's estimate, or `/model` named a model with a smaller window).
   * Remembered in this process for the session's model, so each later request is not refused first; `/model` back to the
   * other model has its own.
   */
  contextFor(session: Pick<Session, 'id' | 'model'>): number {
    return this.learned.get(learnedKey(session)) ?? this.options.contextTokens;
  }

  /** Remembers that requests of this session on its model must fit `tokens` (never more than contextTokens). */
  learnContext(session: Pick<Session, 'id' | 'model'>, tokens: number): void {
    setBounded(this.learned, learnedKey(session), Math.min(tokens, this.contextFor(session)), LEARNED_CONTEXTS_KEPT);
  }

  /**
   * Whether the session's messages fill more than `compressAt` of the room a request leaves them.
   * `reservedTokens`: what each request also carries, the tool definitions and room for the reply.
   */
  needsCompression(session: Session, history: readonly StoredMessage[], reservedTokens = 0): boolean {
    // The prefix is fixed for the session and budgeted as the system prompt every step: its estimate is remembered there.
    const fixed = estimateSystemTokens(session.prefix) + estimateTokens(session.summary) + reservedTokens;
    const messages = history.reduce((sum, m) => sum + m.tokens, 0);
    return messages > messageRoom(this.contextFor(session), fixed) * this.options.compressAt;
  }

  /**
   * Folds older turns into the summary. Returns the updated session, or the same one
   * when there was nothing to fold or the summarizer failed (the turn goes on; the
   * prompt builder then leaves the oldest messages out of the request instead).
   */
  /**
   * `userKey`: whose turn needs it; the summary is part of that turn, and counts against their daily allowance.
   * In a group each fold counts against whoever wrote most of what it folds (see `heaviestSpeaker`).
   * `shared`: others may read the summary (a group; the default): admin-only tools' arguments and results stay out
   * of it. In a direct chat they are the one person's own, and the summary keeps what the commands returned.
   */
  async compress(session: Session, history: readonly StoredMessage[], signal?: AbortSignal, userKey?: string, shared = true): Promise<Session> {
    const cut = cutPoint(history, this.options.keepRecentTurns);
    if (cut === undefined) return session;
    const filter: SummaryFilter = shared ? this.filter : { ...this.filter, isAdminOnlyTool: () => false };
    let current = session;
    // A backlog (the summarizer was down for a while) is folded a request's worth at a time, so no request outgrows the context.
    for (let fold = 0; fold < MAX_FOLDS_PER_TURN && current.summaryThrough < cut; fold++) {
      const pending = history.filter((m) => m.seq > current.summaryThrough && m.seq <= cut);
      // The transcript carries the previous summary: it is counted once, in what the turns are left.
      const budget = this.contextFor(session) * SUMMARIZER_SHARE - estimateTokens(SUMMARY_INSTRUCTIONS);
      const through = foldEnd(pending, budget - estimateTokens(transcript(current.summary, [])), filter);
      const folded = pending.filter((m) => m.seq <= through);
      const payer = shared ? (heaviestSpeaker(folded) ?? userKey) : userKey;
      try {
        const result = await this.options.model.complete({
          messages: [
            { role: 'system', content: SUMMARY_INSTRUCTIONS },
            { role: 'user', content: transcriptWithin(budget, withoutFilesSent(current.summary), folded, filter) },
          ],
          ...(this.options.auxModel ? { model: this.options.auxModel } : {}),
          purpose: 'summary',
          sessionId: session.id,
          ...(payer ? { userKey: payer } : {}),
          ...(signal ? { signal } : {}),
        });
        const summary = withFilesSent(wholeSummary(result), current.summary, folded);
        if (!this.options.store.compress(session.id, summary, through, current.summaryThrough)) return this.options.store.get(session.id) ?? current;
        this.options.logger.info({ sessionId: session.id, through, folded: folded.length }, 'session compressed');
        current = { ...current, summary, summaryThrough: through };
      } catch (error) {
        if (signal?.aborted) throw error;
        this.options.logger.warn({ sessionId: session.id, err: describeError(error) }, 'session compression failed; continuing with a trimmed prompt');
        return current;
      }
    }
    return current;
  }

  private readonly filter: SummaryFilter = {
    isPrivateTool: (name) => this.options.isPrivateTool?.(name) ?? false,
    isAdminOnlyTool: (name) => this.options.isAdminOnlyTool?.(name) ?? false,
  };
}

/**
 * Where a summary lists the files sent in the turns it folded. A message names each kept file with its number
 * ("[a file (report.pdf); attachment #3]", file-reader.ts), which read_attachment and look_at_image need; the
 * summarizer kept the words and dropped the numbers, so a file sent before a compression could not be read again.
 * The list is Cairn's, not the summarizer's: left out of what it is shown, and carried from summary to summary.
 */
const FILES_HEADING = '\n\nFiles sent earlier in this conversation (read_attachment, or look_at_image for an image, takes the number):';
const KEPT_FILE = /\[([^[\]\n]{1,300}?)(?:, described by a vision model)?(?:, [^[\]\n;]*)?; attachment #(\d+)\]/g;

function withoutFilesSent(summary: string | undefined): string | undefined {
  const at = summary?.indexOf(FILES_HEADING) ?? -1;
  return summary === undefined || at < 0 ? summary : summary.slice(0, at);
}

/** `summary` with the list of files sent in the earlier summary's turns and in `folded`, by number. */
function withFilesSent(summary: string, previous: string | undefined, folded: readonly StoredMessage[]): string {
  const files = new Map<string, string>();
  const at = previous?.indexOf(FILES_HEADING) ?? -1;
  if (previous !== undefined && at >= 0) {
    for (const line of previous.slice(at + FILES_HEADING.length).split('\n')) {
      const listed = /^- #(\d+) (.+)$/.exec(line);
      if (listed) files.set(listed[1] as string, listed[2] as string);
    }
  }
  for (const { message } of folded) {
    if (message.role !== 'user') continue;
    for (const [, name, id] of message.content.matchAll(KEPT_FILE)) files.set(id as string, name as string);
  }
  if (files.size === 0) return summary;
  return `${withoutFilesSent(summary)}${FILES_HEADING}\n${[...files].map(([id, name]) => `- #${id} ${name}`).join('\n')}`;
}

function learnedKey(session: Pick<Session, 'id' | 'model'>): string {
  return `${session.id}\u0000${session.model ?? ''}`;
}

/**
 * The summarizer's answer, when it is whole. One cut off at the output limit or stopped by the provider's
 * filter would replace the earlier summary it was asked to carry on, and what it had not yet written of that
 * and of the folded turns would be gone for good: it fails the fold, as an empty one does, and the old summary stays.
 */
function wholeSummary(result: CompletionResult): string {
  const summary = result.text.trim();
  if (!summary) throw new Error('the summarizer returned an empty summary');
  if (result.finishReason === 'length') throw new Error('the summary was cut off at the output limit');
  if (result.finishReason === 'content_filter') throw new Error("the provider's content filter stopped the summary");
  return summary;
}

/**
 * The seq of the last message of the longest run of whole turns, from the first, whose
 * transcript fits `budget` tokens; at least the first turn (its items are shortened to fit).
 */
function foldEnd(pending: readonly StoredMessage[], budget: number, filter: SummaryFilter): number {
  let used = 0;
  let end: number | undefined;
  for (const [index, stored] of pending.entries()) {
    // A turn ends before the next user message: the verbatim history must start with one, never with a lone tool result.
    if (index > 0 && stored.message.role === 'user') {
      if (used > budget && end !== undefined) return end;
      end = (pending[index - 1] as StoredMessage).seq;
    }
    used += estimateTokens(renderItem(stored.message, filter, DEFAULT_ITEM_CHARS)) + 1;
  }
  return used > budget && end !== undefined ? end : (pending.at(-1) as StoredMessage).seq;
}

/** The seq of the last message to fold: everything before the k-th most recent user turn. */
function cutPoint(history: readonly StoredMessage[], keepRecentTurns: number): number | undefined {
  const userTurns = history.filter((m) => m.message.role === 'user');
  if (userTurns.length <= keepRecentTurns) return undefined;
  const firstKept = userTurns[userTurns.length - keepRecentTurns] as StoredMessage;
  const older = history.filter((m) => m.seq < firstKept.seq);
  return older.length > 0 ? (older[older.length - 1] as StoredMessage).seq : undefined;
}

/**
 * The transcript of the fold within `budget` tokens: each item shortened further until it fits,
 * and when even the shortest items do not (a turn of a great many calls), its middle left out.
 */
function transcriptWithin(budget: number, previousSummary: string | undefined, messages: readonly StoredMessage[], filter: SummaryFilter): string {
  let items: string[] = [];
  for (const itemChars of TRANSCRIPT_ITEM_CHARS) {
    items = messages.map(({ message }) => renderItem(message, filter, itemChars));
    const text = transcript(previousSummary, items);
    if (estimateTokens(text) <= budget) return text;
  }
  return transcript(previousSummary, withoutMiddle(items, budget - estimateTokens(transcript(previousSummary, []))));
}

/** The first and last items that fit `budget` tokens, taken from both ends in turn, with a line saying how many between them were left out. */
function withoutMiddle(items: readonly string[], budget: number): string[] {
  const head: string[] = [];
  const tail: string[] = [];
  let used = estimateTokens(omittedLine(items.length));
  for (let first = 0, last = items.length - 1; first <= last; ) {
    const fromHead = head.length <= tail.length;
    const item = items[fromHead ? first : last] as string;
    used += estimateTokens(item) + 1;
    if (used > budget) break;
    if (fromHead) head.push(items[first++] as string);
    else tail.unshift(items[last--] as string);
  }
  const left = items.length - head.length - tail.length;
  return left === 0 ? [...items] : [...head, omittedLine(left), ...tail];
}

function omittedLine(count: number): string {
  return `[… ${count} messages left out here to fit the summarizer's context …]`;
}

function transcript(previousSummary: string | undefined, items: readonly string[]): string {
  const lines: string[] = [];
  if (previousSummary) lines.push(`Summary so far:\n${previousSummary}\n`, 'Conversation since then:');
  lines.push(...items);
  return lines.join('\n');
}

function renderItem(message: ChatMessage, filter: SummaryFilter, itemChars: number): string {
  // The summary is shared by everyone in the conversation: one person's notes stay out of it, and so does what
  // admin-only tools were given and returned (a group member who is not an admin reads it too). In a direct
  // conversation with an admin this costs the raw output; the agent's answers about it are kept.
  if (message.role === 'tool' && message.name && filter.isPrivateTool(message.name)) return 'Tool result: (private to the person who asked; omitted)';
  if (message.role === 'tool' && message.name && filter.isAdminOnlyTool(message.name)) return 'Tool result: (for admins only; omitted)';
  return renderLine(message, filter, itemChars);
}

function renderLine(message: ChatMessage, filter: SummaryFilter, itemChars: number): string {
  switch (message.role) {
    case 'user':
      // In a group each message carries its speaker: the summary must keep whose request or decision was whose.
      return `${message.name ? `User (${message.name})` : 'User'}: ${truncateMiddle(message.content, itemChars * 4)}`;
    case 'assistant': {
      const calls = message.toolCalls?.map((call) => (filter.isAdminOnlyTool(call.name) ? `[called ${call.name}]` : `[called ${call.name} ${truncateMiddle(call.arguments, itemChars / 4)}]`)).join(' ') ?? '';
      return ['Agent:', truncateMiddle(message.content ?? '', itemChars * 2), calls].filter((part) => part !== '').join(' ');
    }
    case 'tool':
      return `Tool result: ${truncateMiddle(message.content, itemChars)}`;
    case 'system':
      return `System: ${truncateMiddle(message.content, itemChars)}`;
  }
}

/**
 * Who wrote most of `folded` (a turn's replies and tool results count as its asker's), or undefined when no
 * message says. In a group the summary of one member's long pastes was made, and counted against the daily
 * allowance, on whoever spoke next: a member could spend another's allowance by flooding the channel.
 */
function heaviestSpeaker(folded: readonly StoredMessage[]): string | undefined {
  const tokens = new Map<string, number>();
  let speaker: string | undefined;
  for (const stored of folded) {
    if (stored.message.role === 'user') speaker = stored.userId;
    if (speaker !== undefined) tokens.set(speaker, (tokens.get(speaker) ?? 0) + stored.tokens);
  }
  let heaviest: [string, number] | undefined;
  for (const entry of tokens) if (heaviest === undefined || entry[1] > heaviest[1]) heaviest = entry;
  return heaviest?.[0];
}

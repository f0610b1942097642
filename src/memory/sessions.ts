/**
 * Session context, persisted. A conversation has at most one active session; it
 * continues across restarts until it has been idle for the configured time or the
 * user starts over with /new. Older turns may be folded into a summary
 * (`summary_through` is the last message seq the summary covers).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { parseStoredReasoning } from '../model/reasoning.js';
import type { ChatMessage, ToolCall } from '../model/types.js';
import { estimateMessageTokens } from './tokens.js';
import { setBounded } from '../core/bounded-map.js';

/** 'forgotten' (/forget) and 'unlinked' (/unlink): the prompt held notes no longer the user's, so only other members' part of it is condensed into notes (notes/ended-sessions.ts). */
/** `moved`: its conversation moved to a new id that had a session going on already (move-conversation.ts). */
export type EndReason = 'new' | 'idle' | 'shutdown' | 'forgotten' | 'unlinked' | 'moved';

export interface Session {
  id: string;
  conversationId: string;
  platform: string;
  userId: string;
  status: 'active' | 'ended';
  prefix: string;
  model: string | undefined;
  summary: string | undefined;
  summaryThrough: number;
  startedAt: number;
  lastActiveAt: number;
  endedAt: number | undefined;
  endReason: string | undefined;
  /**
   * Whether its conversation is a direct chat, as the message that started it said: a group's is
   * condensed with only the notes learned there (notes/extraction.ts). Undefined: started before
   * Cairn recorded it (migration 030).
   */
  isDirect: boolean | undefined;
  /** When the history sweep (CAIRN_KEEP_HISTORY_DAYS) deleted this ended session's messages; absent while they are kept. */
  messagesDroppedAt?: number;
}

export interface StoredMessage {
  seq: number;
  message: ChatMessage;
  userId: string | undefined;
  tokens: number;
  createdAt: number;
  /**
   * The sender's own words, where `message` adds context before them (the message they replied
   * to, the thread so far): what extraction reads as theirs. Undefined: the content is all theirs.
   */
  said?: string | undefined;
}

export interface NewMessage {
  message: ChatMessage;
  userId?: string | undefined;
  /** A user message's own words where its content adds context before them (see StoredMessage.said). */
  said?: string | undefined;
  /** The platform messages a user message came from (InboundMessage.madeOf): a deletion of one finds it (core/withdrawals.ts). */
  sources?: readonly string[] | undefined;
}

export interface NewSession {
  conversationId: string;
  platform: string;
  userId: string;
  prefix: string;
  model: string | undefined;
  /** Whether the conversation is a direct chat (InboundMessage.isDirect); not given: unknown. */
  isDirect?: boolean | undefined;
}

interface SessionRow {
  id: string;
  conversation_id: string;
  platform: string;
  user_id: string;
  status: 'active' | 'ended';
  prefix: string;
  model: string | null;
  summary: string | null;
  summary_through: number;
  started_at: number;
  last_active_at: number;
  ended_at: number | null;
  end_reason: string | null;
  is_direct: number | null;
  messages_dropped_at: number | null;
}

interface MessageRow {
  seq: number;
  role: 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls: string | null;
  tool_call_id: string | null;
  name: string | null;
  user_id: string | null;
  tokens: number;
  created_at: number;
  said: string | null;
  reasoning: string | null;
}

const toolCallsSchema = z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }));

/** Sessions whose next seq is remembered (see SessionStore.nextSeqs); the oldest goes first past this. */
const NEXT_SEQS_KEPT = 1_024;

export class SessionStore {
  private readonly statements;
  /** Built once: a turn appends several times, and wrapping a function per call shows in batch profiles. */
  private readonly appendInTransaction;
  /**
   * The seq after the last message this store appended, per session: an append then need not read
   * MAX(seq) first (a turn appends some four times). Only a hint: another process (`cairn chat`
   * beside `cairn start`) or store may have appended since, from MAX(seq) + 1 on, and then took the
   * hint's own seq: that insert writes nothing (ON CONFLICT) and the append reads MAX(seq) as
   * always. So no message is stored under a seq taken, or below one stored before it. (A batch's
   * group commit rolled back whole leaves a hint past MAX(seq): a gap in the seqs, nothing worse.)
   */
  private readonly nextSeqs = new Map<string, number>();

  constructor(private readonly db: Db) {
    this.statements = {
      active: db.prepare<[string], SessionRow>("SELECT * FROM sessions WHERE conversation_id = ? AND status = 'active'"),
      byId: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      lastEnded: db.prepare<[string], SessionRow>("SELECT * FROM sessions WHERE conversation_id = ? AND status = 'ended' ORDER BY ended_at DESC, rowid DESC LIMIT 1"),
      // RETURNING: the new session as stored, without reading it back in a statement of its own.
      insert: db.prepare<[{ id: string; conversationId: string; platform: string; userId: string; prefix: string; model: string | null; isDirect: number | null; now: number }], SessionRow>(
        "INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, model, is_direct, started_at, last_active_at) VALUES (@id, @conversationId, @platform, @userId, 'active', @prefix, @model, @isDirect, @now, @now) RETURNING *",
      ),
      end: db.prepare("UPDATE sessions SET status = 'ended', ended_at = ?, end_reason = ? WHERE id = ? AND status = 'active'"),
      touch: db.prepare('UPDATE sessions SET last_active_at = ? WHERE id = ?'),
      setModel: db.prepare('UPDATE sessions SET model = ? WHERE id = ?'),
      activeOf: db.prepare<[string], SessionRow>("SELECT * FROM sessions WHERE status = 'active' AND user_id = ?"),
      reassignSessions: db.prepare<[string, string]>('UPDATE sessions SET user_id = ? WHERE user_id = ?'),
      reassignMessages: db.prepare<[string, string]>('UPDATE messages SET user_id = ? WHERE user_id = ?'),
      withholdResults: db.prepare<{ note: string; user: string; names: string }>(
        `UPDATE messages SET content = @note WHERE user_id = @user AND role = 'tool' AND name IN (SELECT value FROM json_each(@names))
           AND session_id IN (SELECT id FROM sessions WHERE status = 'active')`,
      ),
      reassignSessionsOn: db.prepare<[string, string, string]>('UPDATE sessions SET user_id = ? WHERE user_id = ? AND platform = ?'),
      reassignMessagesOn: db.prepare<[string, string, string]>(
        'UPDATE messages SET user_id = ? WHERE user_id = ? AND session_id IN (SELECT id FROM sessions WHERE platform = ?)',
      ),
      idle: db.prepare<[number], SessionRow>("SELECT * FROM sessions WHERE status = 'active' AND last_active_at < ? ORDER BY last_active_at"),
      nextSeq: db.prepare<[string], { next: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM messages WHERE session_id = ?'),
      // A seq taken already (a remembered next seq another writer used first) writes nothing: see nextSeqs.
      insertMessage: db.prepare(
        'INSERT INTO messages (session_id, seq, role, content, tool_calls, tool_call_id, name, user_id, tokens, created_at, said, reasoning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, seq) DO NOTHING',
      ),
      insertSource: db.prepare<[string, number, string]>(
        'INSERT OR IGNORE INTO message_sources (platform, message_id, session_id, seq) SELECT platform, ?, id, ? FROM sessions WHERE id = ?',
      ),
      messagesAfter: db.prepare<[string, number], MessageRow>('SELECT * FROM messages WHERE session_id = ? AND seq > ? ORDER BY seq'),
      compress: db.prepare('UPDATE sessions SET summary = ?, summary_through = ? WHERE id = ? AND summary_through = ?'),
      listRecent: db.prepare<[number], SessionRow>('SELECT * FROM sessions ORDER BY last_active_at DESC LIMIT ?'),
    };
    this.appendInTransaction = db.transaction((sessionId: string, messages: readonly NewMessage[], now: number): number => {
      let seq = this.nextSeqs.get(sessionId) ?? this.readNextSeq(sessionId);
      for (const message of messages) {
        if (!this.insertMessage(sessionId, seq, message, now)) {
          // The remembered seq was taken by another writer: from here on, MAX(seq) + 1 as always.
          seq = this.readNextSeq(sessionId);
          if (!this.insertMessage(sessionId, seq, message, now)) throw new Error(`message ${seq} of session ${sessionId} is stored already`);
        }
        seq++;
      }
      this.statements.touch.run(now, sessionId);
      return seq;
    });
  }

  private readNextSeq(sessionId: string): number {
    return this.statements.nextSeq.get(sessionId)?.next ?? 1;
  }

  /** Stores the message as `seq`; false when that seq is taken. */
  private insertMessage(sessionId: string, seq: number, { message, userId, said, sources }: NewMessage, now: number): boolean {
    const stored =
      this.statements.insertMessage.run(
        sessionId,
        seq,
        message.role,
        message.content,
        message.role === 'assistant' && message.toolCalls?.length ? JSON.stringify(message.toolCalls) : null,
        message.role === 'tool' ? message.toolCallId : null,
        message.role === 'tool' || message.role === 'user' ? (message.name ?? null) : null,
        userId ?? null,
        estimateMessageTokens(message),
        now,
        said ?? null,
        message.role === 'assistant' && message.reasoning && message.toolCalls?.length ? JSON.stringify(message.reasoning) : null,
      ).changes > 0;
    if (stored) for (const source of sources ?? []) this.statements.insertSource.run(source, seq, sessionId);
    return stored;
  }

  get(id: string): Session | undefined {
    const row = this.statements.byId.get(id);
    return row ? toSession(row) : undefined;
  }

  active(conversationId: string): Session | undefined {
    const row = this.statements.active.get(conversationId);
    return row ? toSession(row) : undefined;
  }

  /** The conversation's session that ended last (no index: for /export, now and then). */
  lastEnded(conversationId: string): Session | undefined {
    const row = this.statements.lastEnded.get(conversationId);
    return row ? toSession(row) : undefined;
  }

  start(fields: NewSession, now: number): Session {
    const id = randomUUID();
    const isDirect = fields.isDirect === undefined ? null : Number(fields.isDirect);
    return toSession(this.statements.insert.get({ id, ...fields, model: fields.model ?? null, isDirect, now }) as SessionRow);
  }

  /** Switches the session's model (`/model`); undefined: the provider's default. */
  setModel(id: string, model: string | undefined): void {
    this.statements.setModel.run(model ?? null, id);
  }

  /** Ends the session; false when it was not active (already ended by someone else). */
  end(id: string, reason: EndReason, now: number): boolean {
    this.nextSeqs.delete(id);
    return this.statements.end.run(now, reason, id).changes > 0;
  }

  /** Gives one user key's sessions and messages to another (identity linking): notes condensed from them later go to the person. */
  reassign(from: string, to: string): void {
    this.db.transaction(() => {
      this.statements.reassignSessions.run(to, from);
      this.statements.reassignMessages.run(to, from);
    }).immediate();
  }

  /**
   * Gives back what one user key said and started in the conversations of one platform to another key
   * (`/unlink`: an account takes its own conversations back from the person it leaves).
   */
  reassignOnPlatform(from: string, to: string, platform: string): void {
    this.db.transaction(() => {
      this.statements.reassignMessagesOn.run(to, from, platform);
      this.statements.reassignSessionsOn.run(to, from, platform);
    }).immediate();
  }

  /**
   * Replaces what this user's private tools returned (their notes, read with memory_search) in every
   * active session they took part in: `/forget` in a direct chat must reach a group conversation
   * someone else started, where their later turns still saw the deleted note. Returns how many.
   */
  withholdToolResults(userId: string, toolNames: readonly string[], note: string): number {
    if (toolNames.length === 0) return 0;
    return this.statements.withholdResults.run({ note, user: userId, names: JSON.stringify(toolNames) }).changes;
  }

  /** The active sessions started by this user (whose prompt holds their notes). */
  activeOf(userId: string): Session[] {
    return this.statements.activeOf.all(userId).map(toSession);
  }

  /** Active sessions whose last activity is before `before` (ms epoch). */
  idleSince(before: number): Session[] {
    return this.statements.idle.all(before).map(toSession);
  }

  recent(limit: number): Session[] {
    return this.statements.listRecent.all(limit).map(toSession);
  }

  /**
   * Appends messages in one short transaction and marks the session active now. IMMEDIATE: the
   * transaction reads the next seq before it writes, and SQLite does not wait (busy timeout) for a
   * read transaction to become a write one: another process writing then (`cairn chat` beside
   * `cairn start`) failed the turn at once with "database is locked".
   */
  append(sessionId: string, messages: readonly NewMessage[], now: number): void {
    let next: number;
    try {
      next = this.appendInTransaction.immediate(sessionId, messages, now);
    } catch (error) {
      this.nextSeqs.delete(sessionId);
      throw error;
    }
    // Remembered only once the transaction is through: one rolled back stored none of its seqs.
    setBounded(this.nextSeqs, sessionId, next, NEXT_SEQS_KEPT);
  }

  /** Messages not yet folded into the summary, oldest first. */
  messages(session: Pick<Session, 'id' | 'summaryThrough'>): StoredMessage[] {
    return this.statements.messagesAfter.all(session.id, session.summaryThrough).map(toStoredMessage);
  }

  /** Every message of the session, including those covered by the summary. */
  allMessages(sessionId: string): StoredMessage[] {
    return this.statements.messagesAfter.all(sessionId, 0).map(toStoredMessage);
  }

  /**
   * Replaces the summary. Guarded by the old `summary_through` so two compressions
   * racing on one session cannot both apply; returns whether this one did.
   */
  compress(sessionId: string, summary: string, through: number, expectedThrough: number): boolean {
    return this.statements.compress.run(summary, through, sessionId, expectedThrough).changes > 0;
  }
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    platform: row.platform,
    userId: row.user_id,
    status: row.status,
    prefix: row.prefix,
    model: row.model ?? undefined,
    summary: row.summary ?? undefined,
    summaryThrough: row.summary_through,
    startedAt: row.started_at,
    lastActiveAt: row.last_active_at,
    endedAt: row.ended_at ?? undefined,
    endReason: row.end_reason ?? undefined,
    isDirect: row.is_direct === null ? undefined : row.is_direct !== 0,
    ...(row.messages_dropped_at !== null && row.messages_dropped_at !== undefined ? { messagesDroppedAt: row.messages_dropped_at } : {}),
  };
}

function toStoredMessage(row: MessageRow): StoredMessage {
  return { seq: row.seq, message: toChatMessage(row), userId: row.user_id ?? undefined, tokens: row.tokens, createdAt: row.created_at, ...(row.said !== null ? { said: row.said } : {}) };
}

function toChatMessage(row: MessageRow): ChatMessage {
  switch (row.role) {
    case 'user':
      return row.name ? { role: 'user', content: row.content ?? '', name: row.name } : { role: 'user', content: row.content ?? '' };
    case 'tool':
      return row.name ? { role: 'tool', content: row.content ?? '', toolCallId: row.tool_call_id ?? '', name: row.name } : { role: 'tool', content: row.content ?? '', toolCallId: row.tool_call_id ?? '' };
    case 'assistant': {
      const toolCalls = parseToolCalls(row.tool_calls);
      if (toolCalls.length === 0) return { role: 'assistant', content: row.content };
      const reasoning = parseStoredReasoning(row.reasoning);
      return reasoning ? { role: 'assistant', content: row.content, toolCalls, reasoning } : { role: 'assistant', content: row.content, toolCalls };
    }
  }
}

function parseToolCalls(text: string | null): ToolCall[] {
  if (!text) return [];
  try {
    const parsed = toolCallsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/**
 * Persistent notes, the second layer of memory: what Cairn learns about each person
 * outlives the session. This folder owns the notes tables (migration 002), search
 * (FTS5 BM25 re-ranked, fused with embeddings when configured), extraction of notes
 * from ended sessions, recall into the prompt prefix, the memory tools (which in a group
 * find only the notes learned there: places.ts) and the /memory and /forget commands.
 * `Notes` is the one object the rest of Cairn holds.
 */
import type { Db } from '../../store/db.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { CairnError, describeError } from '../../core/errors.js';
import type { PrefixSection } from '../../core/prompt.js';
import type { ModelClient } from '../../model/types.js';
import type { EndReason, Session, SessionStore } from '../sessions.js';
import { NoteStore } from './store.js';
import { NoteSearch } from './search.js';
import { VectorIndex } from './vectors.js';
import type { Embedder } from './embeddings.js';
import { createNoteRedactor, type RedactText } from './redact.js';
import { NoteExtractor } from './extraction.js';
import { ExtractionQueue } from './extraction-queue.js';
import { EndedSessions } from './ended-sessions.js';
import { recallSection } from './recall.js';
import { exportLine, parseImport } from './jsonl.js';
import { contentStems, sayTheSame } from './reconcile.js';
import type { Note, NoteKind } from './types.js';

export { NoteStore } from './store.js';
export { NoteSearch } from './search.js';
export type { Note, SearchHit, SearchOptions } from './types.js';

export interface NotesOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Configured secret values, masked in every note. */
  secrets?: readonly string[];
  /** Token budget of the recall section of the prompt prefix. */
  recallTokens: number;
  /** CAIRN_TZ, the zone recalled notes are dated in; the extraction's zone when not given. */
  timeZone?: string | undefined;
  embedder?: Embedder | undefined;
  /** false: compare note vectors in process even where sqlite-vec loads (tests). */
  useSqliteVec?: boolean;
  /** Extraction of ended sessions (the running agent; CLI commands leave it out). */
  extraction?: {
    sessions: SessionStore;
    model: ModelClient;
    auxModel: string | undefined;
    personOf?: ((userId: string) => string) | undefined;
    /** IANA zone the extraction prompt dates conversations in (CAIRN_TZ). */
    timeZone?: string | undefined;
    /** Each speaker's own zone (time-zones/), for the dates of what they said; `timeZone` when not given. */
    zoneOf?: ((person: string) => string) | undefined;
    /** The model's context (CAIRN_CONTEXT_TOKENS), which each extraction request fits; 32,000 when not given. */
    contextTokens?: number | undefined;
  };
}

export interface SaveRequest {
  text: string;
  kind: NoteKind;
  pinned?: boolean;
  sessionId?: string;
  now: number;
  /** Id of the user's live note this one corrects: it becomes that note's new version (keeping its pin). */
  replaces?: number;
}

export class Notes {
  readonly store: NoteStore;
  readonly search: NoteSearch;
  readonly vectors: VectorIndex | undefined;
  readonly redact: RedactText;
  readonly extraction: ExtractionQueue | undefined;
  readonly recall: PrefixSection;
  /** Aborted at close: stops background embedding. */
  private readonly background = new AbortController();
  private readonly endedSessions: EndedSessions;

  constructor(private readonly options: NotesOptions) {
    this.store = new NoteStore(options.db);
    this.endedSessions = new EndedSessions(options.db);
    this.redact = createNoteRedactor(options.secrets ?? []);
    this.vectors = options.embedder ? new VectorIndex(this.store, options.embedder, options.logger, options.useSqliteVec ?? true) : undefined;
    this.search = new NoteSearch({ store: this.store, clock: options.clock, logger: options.logger, vectors: this.vectors });
    this.recall = recallSection({ store: this.store, search: this.search, budgetTokens: options.recallTokens, timeZone: options.timeZone ?? options.extraction?.timeZone });
    if (options.extraction) {
      const extractor = new NoteExtractor({ ...options.extraction, store: this.store, search: this.search, redact: this.redact });
      this.extraction = new ExtractionQueue(options.db, extractor, options.logger, options.clock, (_sessionId, result) => {
        for (const userId of new Set(result.notes.map((note) => note.userId))) this.embedLater(userId);
      });
    }
  }

  /**
   * The session manager's listener: queue the ended session for extraction (never throws, never
   * waits). Where this process condenses nothing (the CLI), it is left pending for the next start.
   */
  readonly sessionEnded = (session: Session, reason: EndReason): void => {
    try {
      if (!this.endedSessions.condenses(session, reason)) return;
      if (this.extraction) this.extraction.sessionEnded(session.id);
      else this.endedSessions.markPending(session.id);
    } catch (error) {
      this.options.logger.error({ sessionId: session.id, err: describeError(error) }, 'could not queue the session for note extraction');
    }
  };

  /** Queues the sessions whose extraction is pending or failed (at start-up); how many. */
  resumePending(): number {
    return this.extraction?.resumePending() ?? 0;
  }

  /**
   * An explicit note (memory_save): redacted, and not stored twice. A note Cairn already had
   * becomes the user's own (trusted, pinned when asked); `pinnedNow` says the request pinned it.
   */
  save(userId: string, request: SaveRequest): { note: Note; duplicateOf: boolean; pinnedNow: boolean } {
    const text = this.redact(request.text.trim());
    const stems = contentStems(text);
    const replaced = request.replaces === undefined ? undefined : this.replaceable(userId, request.replaces);
    const existing = this.search.keyword(userId, text, { limit: 5 }).find((hit) => sayTheSame(stems, contentStems(hit.note.text)));
    if (existing) {
      const pin = (request.pinned ?? false) || (replaced?.pinned ?? false);
      const adopted = this.store.adopt(userId, existing.note.id, { pin, now: request.now }) ?? existing.note;
      // The correction is a note the user has already: the one it corrects is out of date all the same.
      if (replaced && replaced.id !== existing.note.id) this.store.applyBatch(userId, [{ type: 'retire', id: replaced.id, by: existing.note.id, at: request.now }]);
      return { note: adopted, duplicateOf: true, pinnedNow: pin && !existing.note.pinned };
    }
    const fields = {
      text,
      kind: request.kind,
      origin: 'user' as const,
      // A pinned note corrected stays pinned: the user asked for it in every conversation.
      pinned: (request.pinned ?? false) || (replaced?.pinned ?? false),
      sourceSession: request.sessionId,
      createdAt: request.now,
    };
    // Corrected, the old version leaves recall and search (it stays its history, and /forget of the new one deletes both).
    const note = replaced ? this.store.supersede(userId, replaced.id, fields) : this.store.add(userId, fields);
    this.embedLater(userId);
    return { note, duplicateOf: false, pinnedNow: note.pinned };
  }

  /** The user's live note `id`, which a memory_save corrects; a clear error for the model otherwise. */
  private replaceable(userId: string, id: number): Note {
    const note = this.store.get(userId, id);
    // Another user's id reads exactly like a missing one.
    if (!note) throw new CairnError('invalid_input', `The user has no note ${id} to replace: memory_search finds their notes with ids. Nothing was saved.`);
    if (note.supersededBy !== undefined) throw new CairnError('invalid_input', `Note ${id} was already replaced by note ${note.supersededBy}: give that id as replaces. Nothing was saved.`);
    return note;
  }

  /** Imports a JSONL file's content for the user in one transaction: how many notes were imported, and how many the user had already. */
  import(userId: string, content: string, source: string, onProgress?: (done: number, total: number) => void): { imported: number; alreadyThere: number } {
    const notes = parseImport(content, this.redact, source);
    onProgress?.(0, notes.length);
    return this.store.import(userId, notes, onProgress ? (done) => onProgress(done, notes.length) : undefined);
  }

  /** Every note of the user as JSONL lines (superseded ones too). */
  exportLines(userId: string): string[] {
    return this.store.all(userId).map(exportLine);
  }

  /** Waits for background work: extractions and embeddings in flight. */
  async idle(): Promise<void> {
    await this.extraction?.idle();
    await this.vectors?.idle();
  }

  /** Lets an extraction in flight finish within `graceMs`, then aborts it (it stays pending). */
  async close(graceMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    await this.extraction?.close(graceMs, sleep);
    this.background.abort();
    await this.vectors?.idle();
  }

  private embedLater(userId: string): void {
    this.vectors?.backfill(userId, Number.POSITIVE_INFINITY, this.background.signal).catch((error: unknown) => {
      if (this.background.signal.aborted) return;
      this.options.logger.warn({ err: describeError(error) }, 'embedding new notes failed; they are embedded at the next search');
    });
  }
}

/**
 * Note vectors for semantic search. Each live note gets one vector from the
 * configured embeddings model, filled in lazily (after saves, and before a search
 * for notes still missing one). Nearest notes are found by exact cosine distance
 * inside SQLite with sqlite-vec when the extension loads, otherwise in process;
 * both rank equally near notes by id, the one stored last first, so a search ranks
 * alike with and without it.
 */
import * as sqliteVec from 'sqlite-vec';
import type { Logger } from '../../core/logger.js';
import { describeError, isCairnError } from '../../core/errors.js';
import type { NoteStore } from './store.js';
import type { SearchFilters } from './types.js';
import { blobToVector, cosineSimilarity, vectorToBlob, type Embedder, EMBED_BATCH } from './embeddings.js';

export interface Neighbour {
  id: number;
  similarity: number;
}

/** A backfill in flight for one user, and how many notes it was asked for (Infinity: every missing one). */
interface RunningBackfill {
  max: number;
  work: Promise<number>;
}

const FILTERS = `AND (@since IS NULL OR n.created_at >= @since) AND (@until IS NULL OR n.created_at <= @until) AND (@kind IS NULL OR n.kind = @kind)`;

export class VectorIndex {
  /** Whether sqlite-vec loaded into this connection. */
  readonly native: boolean;
  private readonly s;
  private readonly backfills = new Map<string, RunningBackfill>();
  /** Notes the endpoint refused (too long for the model): never asked for again in this process, so they block no others. */
  private readonly refused = new Set<number>();

  constructor(
    private readonly store: NoteStore,
    readonly embedder: Embedder,
    private readonly logger: Logger,
    /** false: never load sqlite-vec (compare in process). */
    useSqliteVec = true,
  ) {
    const { db } = store;
    this.native = useSqliteVec && loadSqliteVec(store, logger);
    const scope = 'e.owner_id = @owner AND e.model = @model AND length(e.vector) = @bytes AND n.superseded_by IS NULL';
    this.s = {
      // Newest first: after embeddings are turned on or the model changes, a search embeds 512 notes at a time, and
      // what people ask about is mostly recent ("what did I tell you last Tuesday?"); oldest first left last week's
      // notes to keyword search until a year of older ones had vectors.
      missing: db.prepare<unknown[], PendingNote>(
        `SELECT n.id, n.text FROM notes n WHERE n.owner_id = @owner AND n.superseded_by IS NULL
           AND NOT EXISTS (SELECT 1 FROM note_embeddings e WHERE e.note_id = n.id AND e.model = @model)
           AND n.id NOT IN (SELECT value FROM json_each(@refused)) ORDER BY n.created_at DESC, n.id DESC LIMIT @limit`,
      ),
      save: db.prepare<unknown[]>(
        // The note may have been forgotten, or given new text (an import by external id), while its vector was computed.
        `INSERT OR REPLACE INTO note_embeddings (note_id, owner_id, model, vector)
         SELECT @id, @owner, @model, @vector WHERE EXISTS (SELECT 1 FROM notes WHERE id = @id AND owner_id = @owner AND text = @text)`,
      ),
      // Checked before deleting: most searches find none, and a DELETE would take the write lock each time.
      otherSize: db.prepare<unknown[]>('SELECT 1 FROM note_embeddings WHERE owner_id = @owner AND model = @model AND length(vector) <> @bytes LIMIT 1').pluck(),
      dropOtherSize: db.prepare<unknown[]>('DELETE FROM note_embeddings WHERE owner_id = @owner AND model = @model AND length(vector) <> @bytes'),
      all: db.prepare<unknown[], { id: number; vector: Buffer }>(
        `SELECT e.note_id AS id, e.vector FROM note_embeddings e JOIN notes n ON n.id = e.note_id WHERE ${scope} ${FILTERS}`,
      ),
      nearest: this.native
        ? db.prepare<unknown[], { id: number; distance: number }>(
            `SELECT e.note_id AS id, vec_distance_cosine(e.vector, @query) AS distance FROM note_embeddings e JOIN notes n ON n.id = e.note_id
             WHERE ${scope} ${FILTERS} ORDER BY distance, e.note_id DESC LIMIT @limit`,
          )
        : undefined,
    };
  }

  /**
   * Embeds up to `max` of the user's live notes that have no vector yet; the number
   * embedded. One backfill runs per user at a time (two would embed the same notes):
   * a call asking as much as the running one shares it; one asking more follows it; one
   * asking less (a search, while the background re-embeds every note) does not wait and
   * gets 0, so that search uses the vectors already there. Waiting stops at `signal`.
   */
  backfill(userId: string, max = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<number> {
    const running = this.backfills.get(userId);
    if (running && running.max > max) return Promise.resolve(0);
    if (running && running.max === max) return untilAborted(running.work, signal);
    const before = running ? running.work.catch(() => 0) : Promise.resolve(0);
    const entry: RunningBackfill = {
      max,
      work: before
        .then(() => this.fill(userId, max, signal))
        .finally(() => {
          if (this.backfills.get(userId) === entry) this.backfills.delete(userId);
        }),
    };
    this.backfills.set(userId, entry);
    return untilAborted(entry.work, signal);
  }

  /** Waits for every backfill in flight (shutdown). */
  async idle(): Promise<void> {
    while (this.backfills.size > 0) await Promise.allSettled([...this.backfills.values()].map((running) => running.work));
  }

  /**
   * Deletes the user's vectors of this model whose size is not `bytes`, the size its vectors have
   * now (a query's): the model behind the name changed (an alias moved, a new tag), and they can
   * never be compared with a query again. Their notes are then missing a vector, and the next
   * backfill embeds them anew. How many were deleted.
   */
  dropOtherSizes(userId: string, bytes: number): number {
    const owner = this.store.owner(userId);
    if (!owner) return 0;
    const params = { owner: owner.id, model: this.embedder.model, bytes };
    if (this.s.otherSize.get(params) === undefined) return 0;
    const dropped = this.s.dropOtherSize.run(params).changes;
    this.logger.info({ dropped, bytes }, 'note vectors of another size than the embeddings model gives now were dropped; they are embedded again');
    return dropped;
  }

  /** The user's notes nearest to `query`, most similar first. */
  nearest(userId: string, query: Float32Array, limit: number, filters: SearchFilters = {}): Neighbour[] {
    const owner = this.store.owner(userId);
    if (!owner) return [];
    const params = {
      owner: owner.id,
      model: this.embedder.model,
      bytes: query.byteLength,
      since: filters.since ?? null,
      until: filters.until ?? null,
      kind: filters.kind ?? null,
    };
    if (this.s.nearest) {
      return this.s.nearest.all({ ...params, query: vectorToBlob(query), limit }).map((row) => ({ id: row.id, similarity: 1 - row.distance }));
    }
    return this.s.all
      .all(params)
      .map((row) => ({ id: row.id, similarity: cosineSimilarity(query, blobToVector(row.vector)) }))
      .sort((a, b) => b.similarity - a.similarity || b.id - a.id)
      .slice(0, limit);
  }

  private async fill(userId: string, max: number, signal?: AbortSignal): Promise<number> {
    let done = 0;
    while (done < max) {
      signal?.throwIfAborted();
      const owner = this.store.owner(userId);
      if (!owner) return done;
      const limit = Math.min(EMBED_BATCH * 4, max - done);
      const batch = this.s.missing.all({ owner: owner.id, model: this.embedder.model, refused: JSON.stringify([...this.refused]), limit });
      if (batch.length === 0) return done;
      const embedded = await this.embedAccepted(batch, signal);
      if (!this.store.db.open) return done;
      this.store.db.transaction(() => {
        for (const { note, vector } of embedded) this.s.save.run({ id: note.id, owner: owner.id, model: this.embedder.model, text: note.text, vector: vectorToBlob(vector) });
      }).immediate();
      // Refused notes count too: they are done with, and the loop must move past them.
      done += batch.length;
    }
    return done;
  }

  /**
   * The batch's notes with their vectors. When the endpoint refuses the batch as invalid (a
   * note too long for the model: 400, 413), the notes at fault are found and left out, and the
   * rest still get theirs; unless the batch's shortest note alone is refused too: then the
   * endpoint refuses any input (a setting, not a note), and its error stands.
   */
  private async embedAccepted(batch: readonly PendingNote[], signal: AbortSignal | undefined): Promise<EmbeddedNote[]> {
    try {
      return await this.embedNotes(batch, signal);
    } catch (error) {
      if (!isRefusedInput(error) || signal?.aborted) throw error;
      if (batch.length > 1) await this.embedNotes([shortest(batch)], signal);
      return this.splitRefused(batch, error, signal);
    }
  }

  /** A refused batch in halves, and those refused again in theirs, down to the notes at fault: never asked for again in this process. */
  private async splitRefused(batch: readonly PendingNote[], refusal: unknown, signal: AbortSignal | undefined): Promise<EmbeddedNote[]> {
    if (batch.length === 1) {
      const [note] = batch as [PendingNote];
      this.refused.add(note.id);
      this.logger.warn({ noteId: note.id, err: describeError(refusal) }, 'the embeddings endpoint refused a note; it is searched by keywords only');
      return [];
    }
    const half = Math.ceil(batch.length / 2);
    const embedded: EmbeddedNote[] = [];
    for (const part of [batch.slice(0, half), batch.slice(half)]) {
      try {
        embedded.push(...(await this.embedNotes(part, signal)));
      } catch (error) {
        if (!isRefusedInput(error) || signal?.aborted) throw error;
        embedded.push(...(await this.splitRefused(part, error, signal)));
      }
    }
    return embedded;
  }

  private async embedNotes(notes: readonly PendingNote[], signal: AbortSignal | undefined): Promise<EmbeddedNote[]> {
    const vectors = await this.embedder.embed(
      notes.map((note) => note.text),
      signal,
    );
    return notes.map((note, i) => ({ note, vector: vectors[i] as Float32Array }));
  }
}

interface PendingNote {
  id: number;
  text: string;
}

interface EmbeddedNote {
  note: PendingNote;
  vector: Float32Array;
}

function shortest(notes: readonly PendingNote[]): PendingNote {
  return notes.reduce((best, note) => (note.text.length < best.text.length ? note : best));
}

/** The endpoint refused the input itself (4xx other than 429, auth and unknown model): another try of the same input fails the same way. */
function isRefusedInput(error: unknown): boolean {
  return isCairnError(error) && error.code === 'bad_request';
}

/** `work`, or its signal's abort, whichever comes first (the work itself goes on for whoever else waits on it). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function loadSqliteVec(store: NoteStore, logger: Logger): boolean {
  try {
    sqliteVec.load(store.db);
    return true;
  } catch (error) {
    logger.info({ err: describeError(error) }, 'sqlite-vec did not load; note vectors are compared in process');
    return false;
  }
}

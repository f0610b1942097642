/**
 * Note vectors for semantic search. Each live note gets one vector from the
 * configured embeddings model, filled in lazily (after saves, and before a search
 * for notes still missing one). Nearest notes are found by exact cosine distance
 * inside SQLite with sqlite-vec when the extension loads, otherwise in process.
 */
import * as sqliteVec from 'sqlite-vec';
import type { Logger } from '../../core/logger.js';
import { describeError } from '../../core/errors.js';
import type { NoteStore } from './store.js';
import type { SearchFilters } from './types.js';
import { blobToVector, cosineSimilarity, vectorToBlob, type Embedder, EMBED_BATCH } from './embeddings.js';

export interface Neighbour {
  id: number;
  similarity: number;
}

const FILTERS = `AND (@since IS NULL OR n.created_at >= @since) AND (@until IS NULL OR n.created_at <= @until) AND (@kind IS NULL OR n.kind = @kind)`;

export class VectorIndex {
  /** Whether sqlite-vec loaded into this connection. */
  readonly native: boolean;
  private readonly s;
  private readonly backfills = new Map<string, Promise<number>>();

  constructor(
    private readonly store: NoteStore,
    readonly embedder: Embedder,
    logger: Logger,
    /** false: never load sqlite-vec (compare in process). */
    useSqliteVec = true,
  ) {
    const { db } = store;
    this.native = useSqliteVec && loadSqliteVec(store, logger);
    const scope = 'e.owner_id = @owner AND e.model = @model AND length(e.vector) = @bytes AND n.superseded_by IS NULL';
    this.s = {
      missing: db.prepare<unknown[], { id: number; text: string }>(
        `SELECT n.id, n.text FROM notes n WHERE n.owner_id = @owner AND n.superseded_by IS NULL
           AND NOT EXISTS (SELECT 1 FROM note_embeddings e WHERE e.note_id = n.id AND e.model = @model) ORDER BY n.id LIMIT @limit`,
      ),
      save: db.prepare<unknown[]>(
        // The note may have been forgotten, or given new text (an import by external id), while its vector was computed.
        `INSERT OR REPLACE INTO note_embeddings (note_id, owner_id, model, vector)
         SELECT @id, @owner, @model, @vector WHERE EXISTS (SELECT 1 FROM notes WHERE id = @id AND owner_id = @owner AND text = @text)`,
      ),
      all: db.prepare<unknown[], { id: number; vector: Buffer }>(
        `SELECT e.note_id AS id, e.vector FROM note_embeddings e JOIN notes n ON n.id = e.note_id WHERE ${scope} ${FILTERS}`,
      ),
      nearest: this.native
        ? db.prepare<unknown[], { id: number; distance: number }>(
            `SELECT e.note_id AS id, vec_distance_cosine(e.vector, @query) AS distance FROM note_embeddings e JOIN notes n ON n.id = e.note_id
             WHERE ${scope} ${FILTERS} ORDER BY distance LIMIT @limit`,
          )
        : undefined,
    };
  }

  /**
   * Embeds up to `max` of the user's live notes that have no vector yet; the number
   * embedded. Concurrent calls for one user share the work.
   */
  backfill(userId: string, max = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<number> {
    const running = this.backfills.get(userId);
    if (running) return running;
    const work = this.fill(userId, max, signal).finally(() => this.backfills.delete(userId));
    this.backfills.set(userId, work);
    return work;
  }

  /** Waits for every backfill in flight (shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.backfills.values()]);
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
      const owner = this.store.owner(userId);
      if (!owner) return done;
      const batch = this.s.missing.all({ owner: owner.id, model: this.embedder.model, limit: Math.min(EMBED_BATCH * 4, max - done) });
      if (batch.length === 0) return done;
      const vectors = await this.embedder.embed(
        batch.map((note) => note.text),
        signal,
      );
      if (!this.store.db.open) return done;
      this.store.db.transaction(() => {
        batch.forEach((note, i) => this.s.save.run({ id: note.id, owner: owner.id, model: this.embedder.model, text: note.text, vector: vectorToBlob(vectors[i] as Float32Array) }));
      })();
      done += batch.length;
    }
    return done;
  }
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

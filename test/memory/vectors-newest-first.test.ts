/**
 * Embeddings turned on (or the model changed) over a year of notes: a search embeds 512 notes at a
 * time, and the notes people ask about are mostly recent. Those get their vectors first.
 */
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/memory/notes/embeddings.js';
import { Notes } from '../../src/memory/notes/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { DAY, NOW, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();

/** Cats and felines are one topic, everything else another. */
const topics: Embedder = {
  model: 'topics',
  embed: async (texts) => texts.map((text) => Float32Array.from(/cat|feline|kitten/i.test(text) ? [1, 0, 0.1] : [0, 1, 0.1])),
};

describe.each([true, false])('the first search after embeddings are turned on over 600 notes (sqlite-vec %s)', (useSqliteVec) => {
  it("finds last week's note by meaning, the notes of months ago waiting for later searches", async () => {
    const { db, clock } = fixture({ useSqliteVec });
    const keywordsOnly = new Notes({ db, clock, logger: silentLogger, recallTokens: 800 });
    for (let i = 0; i < 600; i++) keywordsOnly.store.add('ada', { text: `Ada closed ticket ${i} of the migration.`, kind: 'fact', origin: 'user', createdAt: NOW - 300 * DAY + i * 60_000 });
    keywordsOnly.store.add('ada', { text: 'Ada adopted a kitten from the shelter.', kind: 'fact', origin: 'user', createdAt: NOW - 6 * DAY });

    const withEmbeddings = new Notes({ db, clock, logger: silentLogger, recallTokens: 800, embedder: topics, useSqliteVec });
    const hits = await withEmbeddings.search.search('ada', 'feline pet', { limit: 3 });
    expect(hits.map((hit) => hit.note.text)[0]).toBe('Ada adopted a kitten from the shelter.');
    // 512 of 601 have vectors now: the newest ones.
    expect(db.prepare('SELECT count(*) FROM note_embeddings').pluck().get()).toBe(512);
  });
});

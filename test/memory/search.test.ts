/** Search: filters, recency, hybrid over the loopback embeddings endpoint, and the quality bar. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { blobToVector, createOpenAIEmbedder } from '../../src/memory/notes/embeddings.js';
import { buildConversation } from './fixtures/conversations.js';
import { conversationJsonl, DAY, hashedEmbedder, naiveSearch, NOW, recallAt, useNotesFixtures } from './helpers.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});
const fixture = useNotesFixtures();

const embedderOn = (url: string) =>
  createOpenAIEmbedder({ provider: { name: 'custom', baseUrl: url, apiKey: 'sk-test', model: 'm', toolMode: 'auto', headers: {} }, model: 'fake-embeddings', timeoutMs: 5_000 });

describe('filters and ranking', () => {
  it('filter by date range (inclusive, a date meaning its whole day) and by kind', async () => {
    const { notes } = fixture();
    const add = (text: string, kind: string, day: string) => notes.store.add('ada', { text, kind, origin: 'import', createdAt: Date.parse(`${day}T12:00:00Z`) });
    add('deploy to staging failed on the migration', 'solution', '2026-03-01');
    add('deploy to production moved to Thursdays', 'decision', '2026-03-15');
    add('deploy script prefers bash over zsh', 'preference', '2026-03-31');
    add('lunch order: no cilantro', 'preference', '2026-03-15');
    const texts = async (query: string, options: object) => (await notes.search.search('ada', query, options)).map((hit) => hit.note.text.split(' ').slice(0, 3).join(' '));
    expect(await texts('deploy', { since: Date.parse('2026-03-15T00:00:00Z') })).toHaveLength(2);
    expect(await texts('deploy', { since: Date.parse('2026-03-02T00:00:00Z'), until: Date.parse('2026-03-15T23:59:59.999Z') })).toEqual(['deploy to production']);
    expect(await texts('deploy', { kind: 'preference' })).toEqual(['deploy script prefers']);
    expect(await texts('', { kind: 'preference' })).toEqual(['deploy script prefers', 'lunch order: no']);
    expect(await texts('', { since: Date.parse('2026-03-10T00:00:00Z'), until: Date.parse('2026-03-20T00:00:00Z') })).toHaveLength(2);
  });

  it('weighs recency: of two equal matches the newer ranks first', () => {
    const { notes } = fixture();
    const older = notes.store.add('ada', { text: 'standup moved to ten', kind: 'decision', origin: 'model', createdAt: NOW - 60 * DAY });
    const newer = notes.store.add('ada', { text: 'standup moved to nine', kind: 'decision', origin: 'model', createdAt: NOW - DAY });
    expect(notes.search.keyword('ada', 'standup moved').map((hit) => hit.note.id)).toEqual([newer.id, older.id]);
    const [first, second] = notes.search.keyword('ada', 'standup moved');
    expect(first!.score).toBeGreaterThan(second!.score);
  });

  it('ranks notes holding more of the query above one repeating a single word', () => {
    const { notes } = fixture();
    notes.store.add('ada', { text: 'kafka kafka kafka kafka broker notes', kind: 'fact', origin: 'import', createdAt: NOW - 400 * DAY });
    const both = notes.store.add('ada', { text: 'the kafka consumer lag alert fires at night', kind: 'fact', origin: 'import', createdAt: NOW - 400 * DAY });
    expect(notes.search.keyword('ada', 'kafka consumer lag')[0]?.note.id).toBe(both.id);
  });
});

describe('hybrid search', () => {
  it('embeds notes through the OpenAI-compatible endpoint and fuses vectors with keywords', async () => {
    const { notes, db } = fixture({ embedder: embedderOn(server.url) });
    const before = server.requests.length;
    notes.store.add('ada', { text: 'Ada moved to Lisbon in March', kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add('ada', { text: 'Ada uses neovim with the lazy plugin manager', kind: 'preference', origin: 'user', createdAt: NOW });
    const hits = await notes.search.search('ada', 'which editor plugin manager', { limit: 5 });
    expect(hits[0]?.note.text).toContain('neovim');
    const embeddingCalls = server.requests.slice(before).filter((r) => r.path.endsWith('/embeddings'));
    expect(embeddingCalls.length).toBeGreaterThanOrEqual(2);
    expect((embeddingCalls[0]?.body as { model: string }).model).toBe('fake-embeddings');
    expect(db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(2);
    // A note whose text changes loses its stale vector.
    db.prepare("UPDATE notes SET text = 'Ada moved to Porto' WHERE text LIKE 'Ada moved%'").run();
    expect(db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(1);
  });

  it('falls back to keywords when the embeddings endpoint fails', async () => {
    const { notes } = fixture({ embedder: embedderOn(`${server.url}/broken`) });
    notes.store.add('ada', { text: 'Ada moved to Lisbon in March', kind: 'fact', origin: 'user', createdAt: NOW });
    const hits = await notes.search.search('ada', 'Lisbon');
    expect(hits.map((hit) => hit.note.text)).toEqual(['Ada moved to Lisbon in March']);
  });

  it('compares vectors in process when sqlite-vec is not there, with the same ranking', async () => {
    const texts = ['red apples and pears', 'green apples', 'a red car', 'the blue sea'];
    const ranked = async (useSqliteVec: boolean) => {
      const { notes } = fixture({ embedder: hashedEmbedder, useSqliteVec });
      expect(notes.vectors?.native).toBe(useSqliteVec);
      for (const text of texts) notes.store.add('ada', { text, kind: 'fact', origin: 'import', createdAt: NOW });
      await notes.vectors!.backfill('ada');
      const [query] = await hashedEmbedder.embed(['red apples']);
      return notes.vectors!.nearest('ada', query!, 4);
    };
    const native = await ranked(true);
    const inProcess = await ranked(false);
    expect(inProcess.map((n) => n.id)).toEqual(native.map((n) => n.id));
    inProcess.forEach((n, i) => expect(n.similarity).toBeCloseTo(native[i]!.similarity, 5));
  });

  it('ranks equally similar notes newest first with sqlite-vec as without it', async () => {
    const ranked = async (useSqliteVec: boolean) => {
      const { notes } = fixture({ embedder: hashedEmbedder, useSqliteVec });
      // The same fact noted on many days (imports of several exports, or notes the extraction could not merge).
      for (let day = 40; day > 0; day--) notes.store.add('ada', { text: 'Ada drinks green tea every morning', kind: 'fact', origin: 'import', createdAt: NOW - day * DAY });
      await notes.vectors!.backfill('ada');
      const [query] = await hashedEmbedder.embed(['green tea']);
      return {
        native: notes.vectors!.native,
        nearest: notes.vectors!.nearest('ada', query!, 5).map((n) => n.id),
        search: (await notes.search.search('ada', 'green tea', { limit: 5 })).map((hit) => hit.note.id),
      };
    };
    const withVec = await ranked(true);
    const without = await ranked(false);
    expect([withVec.native, without.native]).toEqual([true, false]);
    expect(withVec.nearest).toEqual([40, 39, 38, 37, 36]);
    expect(without.nearest).toEqual(withVec.nearest);
    expect(without.search).toEqual(withVec.search);
  });
});

describe('vectors', () => {
  it("never keeps the vector of a note's old text when the text changed while it was computed", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const embedder = { model: 'held-embeddings', embed: async (texts: readonly string[]) => (asked++, await held, hashedEmbedder.embed(texts)) };
    const { notes, db } = fixture({ embedder, useSqliteVec: false });
    notes.import('ada', JSON.stringify({ text: 'Ada lives in Berlin and works at a bakery.', created_at: '2026-01-01', external_id: 'home' }), 'home.jsonl');
    const filling = notes.vectors!.backfill('ada');
    while (asked === 0) await new Promise((resolve) => setImmediate(resolve));
    // Imported again under the same external id: the same note, new text.
    notes.import('ada', JSON.stringify({ text: 'Ada moved to Lisbon and flies planes.', created_at: '2026-02-01', external_id: 'home' }), 'home.jsonl');
    release();
    await filling;
    const [note] = notes.store.list('ada');
    expect(note?.text).toBe('Ada moved to Lisbon and flies planes.');
    // The backfill went on to embed the new text, whose vector is the one kept.
    const vectors = db.prepare<[], { vector: Buffer }>('SELECT vector FROM note_embeddings').all();
    const [fresh] = await hashedEmbedder.embed([note?.text ?? '']);
    expect(vectors.map((row) => [...blobToVector(row.vector)])).toEqual([[...fresh!]]);
  });
});

describe('quality bar: recall@10 of evidence turns on multi-session conversations', () => {
  it('default search beats a naive OR query, and hybrid search beats it clearly', async () => {
    const { questions } = buildConversation();
    const keyword = fixture();
    keyword.notes.import('caroline-and-melanie', conversationJsonl(), 'conversation');
    const hybrid = fixture({ embedder: embedderOn(server.url) });
    hybrid.notes.import('caroline-and-melanie', conversationJsonl(), 'conversation');
    let naive = 0;
    let ours = 0;
    let fused = 0;
    const fusedHits = await hybrid.notes.search.searchMany('caroline-and-melanie', questions.map((q) => ({ query: q.question, options: { limit: 10 } })));
    questions.forEach((q, index) => {
      naive += recallAt(naiveSearch(keyword.db, q.question), q.evidence);
      ours += recallAt(keyword.notes.search.keyword('caroline-and-melanie', q.question, { limit: 10 }).map((hit) => hit.note.externalId), q.evidence);
      fused += recallAt((fusedHits[index] ?? []).map((hit) => hit.note.externalId), q.evidence);
    });
    const [naiveRecall, defaultRecall, hybridRecall] = [naive, ours, fused].map((sum) => sum / questions.length);
    console.log(`recall@10 over ${questions.length} questions: naive ${naiveRecall!.toFixed(3)}, default ${defaultRecall!.toFixed(3)}, hybrid ${hybridRecall!.toFixed(3)}`);
    expect(defaultRecall).toBeGreaterThan(naiveRecall! + 0.05);
    expect(hybridRecall).toBeGreaterThan(naiveRecall! + 0.1);
  });
});

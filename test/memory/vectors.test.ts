/**
 * Filling in note vectors: a search does not sit out the background's embedding nor outlive its
 * turn, and a note the embeddings endpoint refuses keeps no other note from getting its vector.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIEmbedder, cutToTokens, type Embedder } from '../../src/memory/notes/embeddings.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import { Notes } from '../../src/memory/notes/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { fakeEmbedding } from '../fakes/model-server.js';
import { hashedEmbedder, NOW, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();

/** An embeddings endpoint whose requests answer only when the test releases them. */
function heldEmbedder() {
  const pending: { texts: readonly string[]; release: () => void }[] = [];
  const embedder: Embedder = {
    model: 'held-embeddings',
    embed: (texts, signal) =>
      new Promise<Float32Array[]>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        pending.push({ texts, release: () => void hashedEmbedder.embed(texts).then(resolve) });
      }),
  };
  return { embedder, pending };
}

const ticks = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function releaseAll(pending: { release: () => void }[]): Promise<void> {
  for (let next = pending.shift(); next; next = pending.shift()) {
    next.release();
    await ticks();
  }
}

function settled(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

describe('memory_search while notes are being embedded in the background', () => {
  it('stops when its turn is aborted, even while a background backfill is in flight', async () => {
    const { embedder, pending } = heldEmbedder();
    const { notes } = fixture({ embedder, useSqliteVec: false });
    notes.store.add('ada', { text: 'Ada moved to Lisbon in March', kind: 'fact', origin: 'user', createdAt: NOW });
    // memory_save: the new note is embedded in the background (embedLater); its request hangs (slow endpoint).
    notes.save('ada', { text: 'Ada prefers tea to coffee', kind: 'preference', now: NOW });
    await ticks();
    expect(pending).toHaveLength(1);

    const turn = new AbortController();
    const search = notes.search.search('ada', 'Lisbon', {}, turn.signal);
    const state = settled(search);
    await ticks();
    turn.abort(new Error('turn stopped'));
    await ticks();
    const abortedPromptly = state.done;
    // Clean up: let the held requests finish.
    await releaseAll(pending);
    await search.catch(() => undefined);
    await notes.idle();
    expect(abortedPromptly).toBe(true);
  });

  it('does not wait for more than its own share (512 notes) of a large background re-embedding', async () => {
    const { embedder, pending } = heldEmbedder();
    const { notes } = fixture({ embedder, useSqliteVec: false });
    // 2,000 notes without a vector of the configured model (imported, or CAIRN_EMBEDDINGS_MODEL just changed).
    notes.import('ada', Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `imported note number ${i} about topic ${i % 97}`, created_at: '2026-01-01' })).join('\n'), 'import.jsonl');
    // memory_save starts the background backfill of everything missing.
    notes.save('ada', { text: 'Ada moved to Lisbon in March', kind: 'fact', now: NOW });
    await ticks();

    const search = notes.search.search('ada', 'Lisbon');
    const state = settled(search);
    // Answer the endpoint's requests one at a time, counting the note texts embedded before the search returns.
    let notesEmbeddedBeforeAnswer = 0;
    for (let round = 0; round < 20 && !state.done; round++) {
      await ticks();
      const next = pending.shift();
      if (!next) continue;
      if (!(next.texts.length === 1 && next.texts[0] === 'Lisbon')) notesEmbeddedBeforeAnswer += next.texts.length;
      next.release();
      await ticks();
    }
    await releaseAll(pending);
    expect((await search)[0]?.note.text).toBe('Ada moved to Lisbon in March');
    await notes.idle();
    // BACKFILL_PER_SEARCH is 512: a search should embed at most that many notes before answering.
    expect(notesEmbeddedBeforeAnswer).toBeLessThanOrEqual(512);
    // The background went on to embed every note.
    expect(await notes.vectors!.backfill('ada')).toBe(0);
  });
});

/**
 * An OpenAI-compatible embeddings endpoint with a model that takes `maxInput` characters at
 * most (a real one counts tokens): a longer input fails the whole request with `refusal`.
 */
let server: Server;
let url: string;
const endpoint = { maxInput: 6_000, refusal: 400, requests: [] as string[][] };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const input = (JSON.parse(body) as { input: string[] }).input;
      endpoint.requests.push(input);
      res.setHeader('content-type', 'application/json');
      if (input.some((text) => text.length > endpoint.maxInput)) {
        res.statusCode = endpoint.refusal;
        res.end(JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens, however you requested 9113 tokens. Please reduce your prompt.", type: 'invalid_request_error', code: null } }));
        return;
      }
      res.end(JSON.stringify({ object: 'list', model: 'emb', data: input.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text) })), usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const embedderOn = (address: string) =>
  createOpenAIEmbedder({ provider: { name: 'custom', baseUrl: address, apiKey: 'sk-test', model: 'm', toolMode: 'auto', headers: {} }, model: 'emb', timeoutMs: 5_000, maxRetries: 0 });

const SHORT_NOTES = ['Ada moved to Lisbon in March', 'Ada uses neovim with the lazy plugin manager', 'Ada is allergic to peanuts'];

describe('embedding notes when the endpoint refuses one of them', () => {
  it("still gives the user's other notes vectors (a Chinese transcript cut to the model's tokens, not characters)", async () => {
    Object.assign(endpoint, { maxInput: 6_000, refusal: 400, requests: [] });
    const { notes, db } = fixture({ embedder: embedderOn(url), useSqliteVec: false });
    // An imported meeting transcript in Chinese (~7,000 characters, about 9,000 tokens), then ordinary notes.
    notes.import('ada', JSON.stringify({ text: '会议记录：'.padEnd(7_000, '我们讨论了新的数据库迁移计划和发布时间表。'), created_at: '2026-01-01' }), 'minutes.jsonl');
    for (const text of SHORT_NOTES) notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    for (let i = 0; i < 3; i++) await notes.search.search('ada', 'which editor does Ada use');
    await notes.idle();
    expect(db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBeGreaterThanOrEqual(3);
  });

  it('embeds the rest of the batch and never asks for the refused note again (a 512-token model, 413)', async () => {
    Object.assign(endpoint, { maxInput: 2_000, refusal: 413, requests: [] });
    const { notes, db } = fixture({ embedder: embedderOn(url), useSqliteVec: false });
    // Far under the 8k-token cap, yet too long for a small model (TEI serving bge-small answers 413).
    const long = notes.store.add('ada', { text: `Release checklist: ${'check the changelog, tag the build, update the docs. '.repeat(60)}`, kind: 'note', origin: 'import', createdAt: NOW });
    for (const text of SHORT_NOTES) notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    await notes.search.search('ada', 'which editor does Ada use');
    const embedded = db.prepare<[], number>('SELECT note_id FROM note_embeddings ORDER BY note_id').pluck().all();
    expect(embedded).toHaveLength(3);
    expect(embedded).not.toContain(long.id);

    const before = endpoint.requests.length;
    expect((await notes.search.search('ada', 'neovim plugin'))[0]?.note.text).toContain('neovim');
    // Only the query was embedded: the refused note is not sent again.
    expect(endpoint.requests.slice(before)).toEqual([['neovim plugin']]);
  });

  it('takes a refusal of every input for the endpoint\'s, not the notes\': none is left out, and few requests are spent', async () => {
    Object.assign(endpoint, { maxInput: 0, refusal: 400, requests: [] });
    const { notes, db } = fixture({ embedder: embedderOn(url), useSqliteVec: false });
    for (const text of SHORT_NOTES) notes.store.add('ada', { text, kind: 'fact', origin: 'user', createdAt: NOW });
    expect((await notes.search.search('ada', 'neovim'))[0]?.note.text).toContain('neovim');
    // The batch and its shortest note alone; then this search goes by keywords only.
    expect(endpoint.requests.map((input) => input.length)).toEqual([3, 1]);
    // Set right (the operator fixed the model), the same notes get their vectors.
    endpoint.maxInput = 6_000;
    await notes.search.search('ada', 'neovim');
    expect(db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(3);
  });

  it('cuts a text to the estimated tokens, never inside a surrogate pair', () => {
    const chinese = '我们讨论了新的数据库迁移计划'.repeat(1_000);
    expect(cutToTokens(chinese, 6_000)).toHaveLength(6_000);
    expect(cutToTokens('short note', 6_000)).toBe('short note');
    const english = 'word '.repeat(10_000);
    expect(estimateTokens(cutToTokens(english, 6_000))).toBe(6_000);
    const emoji = '👍'.repeat(10);
    expect(cutToTokens(emoji, 5)).toBe('👍👍');
  });
});

/** A tiny "semantic" model: cats and felines are one topic, everything else another; `size` dimensions. */
function topicEmbedder(model: string, size: number): Embedder {
  return {
    model,
    embed: async (texts) =>
      texts.map((text) => {
        const vector = new Float32Array(size);
        vector[/cat|feline|kitten/i.test(text) ? 0 : 1] = 1;
        vector[size - 1] = (vector[size - 1] ?? 0) + 0.1;
        return vector;
      }),
  };
}

describe.each([true, false])('hybrid search after the model behind CAIRN_EMBEDDINGS_MODEL changed its vector size (sqlite-vec %s)', (useSqliteVec) => {
  it('embeds the notes anew and finds them by meaning again', async () => {
    const { notes, db, clock } = fixture({ embedder: topicEmbedder('embed', 4), useSqliteVec });
    notes.store.add('ada', { text: 'Ada has a kitten named Pixel.', kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add('ada', { text: 'Ada deploys on Tuesdays.', kind: 'fact', origin: 'user', createdAt: NOW });
    expect((await notes.search.search('ada', 'feline', { limit: 1 })).map((hit) => hit.note.text)).toEqual(['Ada has a kitten named Pixel.']);

    // The endpoint now serves a model with 8 dimensions under the same name (an alias, a new tag); Cairn restarts.
    const after = new Notes({ db, clock, logger: silentLogger, recallTokens: 800, embedder: topicEmbedder('embed', 8), useSqliteVec });
    expect((await after.search.search('ada', 'feline', { limit: 1 })).map((hit) => hit.note.text)).toEqual(['Ada has a kitten named Pixel.']);
    await after.idle();
    expect((await after.search.search('ada', 'feline', { limit: 1 })).map((hit) => hit.note.text)).toEqual(['Ada has a kitten named Pixel.']);
    expect(db.prepare('SELECT DISTINCT length(vector) FROM note_embeddings').pluck().all()).toEqual([8 * 4]);
  });
});

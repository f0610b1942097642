/** Builders for notes tests: a Notes service on a temp database, the evaluation set, the naive baseline. */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Notes } from '../../src/memory/notes/index.js';
import type { Embedder } from '../../src/memory/notes/embeddings.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ToolContext } from '../../src/tools/registry.js';
import { fakeEmbedding, type ChatBody, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import type { FakeModelRig } from '../helpers/fake-model-rig.js';
import { buildConversation } from './fixtures/conversations.js';

export const NOW = Date.UTC(2026, 10, 24, 9);
export const DAY = 86_400_000;

export interface NotesFixture {
  notes: Notes;
  db: Db;
  clock: ManualClock;
  dataDir: string;
}

export interface NotesFixtureOptions {
  embedder?: Embedder;
  secrets?: string[];
  useSqliteVec?: boolean;
}

export function notesFixture(options: NotesFixtureOptions = {}): NotesFixture {
  const dataDir = tempDir('cairn-notes-');
  const db = openDatabase(join(dataDir, 'cairn.db'));
  const clock = new ManualClock(NOW);
  const notes = new Notes({ db, clock, logger: silentLogger, recallTokens: 800, secrets: options.secrets ?? [], embedder: options.embedder, useSqliteVec: options.useSqliteVec ?? true });
  return { notes, db, clock, dataDir };
}

/**
 * notesFixture for a test file: call at the top, and every fixture the returned function makes in
 * a test has its database closed after that test.
 */
export function useNotesFixtures(): (options?: NotesFixtureOptions) => NotesFixture {
  const open: NotesFixture[] = [];
  afterEach(() => {
    for (const fixture of open.splice(0)) fixture.db.close();
  });
  return (options) => {
    const fixture = notesFixture(options);
    open.push(fixture);
    return fixture;
  };
}

/** The loopback server's embeddings, in process (same function, no HTTP). */
export const hashedEmbedder: Embedder = {
  model: 'fake-embeddings',
  embed: async (texts) => texts.map((text) => Float32Array.from(fakeEmbedding(text))),
};

export function toolContext(userId: string, overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    sessionId: 'session-1',
    conversationId: `test:dm:${userId}`,
    userId,
    platform: 'test',
    isAdmin: false,
    signal: new AbortController().signal,
    now: () => NOW,
    ...overrides,
  };
}

/** The evaluation conversation as import JSONL, one turn per note, the turn id as external id. */
export function conversationJsonl(): string {
  return buildConversation()
    .turns.map((turn) => JSON.stringify({ text: turn.text, created_at: turn.createdAt, external_id: turn.id }))
    .join('\n');
}

/** The quality bar's baseline: the question's non-stopword terms OR-ed, ranked by FTS5 bm25 alone. */
export function naiveSearch(db: Db, question: string, limit = 10): string[] {
  const terms = [...new Set(question.toLowerCase().match(/[a-z0-9]+/g) ?? [])].filter((term) => !STANDARD_STOPWORDS.has(term));
  if (terms.length === 0) return [];
  return db
    .prepare<[string, number], { external_id: string }>(
      'SELECT n.external_id FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ? ORDER BY bm25(notes_fts) LIMIT ?',
    )
    .all(terms.map((term) => `"${term}"`).join(' OR '), limit)
    .map((row) => row.external_id);
}

/** The usual English list (NLTK's), as a naive implementation would take it. */
const STANDARD_STOPWORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them their ' +
    'theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing a an the ' +
    'and but if or because as until while of at by for with about against between into through during before after above below to from up down ' +
    'in out on off over under again further then once here there when where why how all any both each few more most other some such no nor not ' +
    'only own same so than too very s t can will just don should now'
  ).split(' '),
);

export function recallAt(found: readonly (string | undefined)[], evidence: readonly string[]): number {
  return evidence.filter((id) => found.includes(id)).length / evidence.length;
}

export const EXTRACTION_PROMPT_START = 'You maintain long-term memory notes';

export function isExtraction(body: ChatBody | undefined): boolean {
  return String(body?.messages?.[0]?.content ?? '').startsWith(EXTRACTION_PROMPT_START);
}

/**
 * A default reply for the fake model server: extraction requests get `notesFor(transcript)`
 * as JSON, everything else an echo of the last user message.
 */
export function memoryReplies(notesFor: (transcript: string, request: RecordedRequest) => unknown): (request: RecordedRequest) => FakeReply {
  return (request) => {
    const body = request.body as ChatBody;
    const messages = (body?.messages ?? []) as { role: string; content: string }[];
    if (isExtraction(body)) return { text: JSON.stringify(notesFor(messages[1]?.content ?? '', request)) };
    const last = [...messages].reverse().find((m) => m.role === 'user');
    return { text: `echo: ${last?.content ?? ''}` };
  };
}

/**
 * The extraction prompt of one conversation: a Cairn on `rig` with an aux model (and `env`) is
 * told `messages`, each at its time, then /new ends the session and its notes are extracted.
 */
export async function extractionPromptOf(rig: FakeModelRig, env: Record<string, string>, messages: readonly [at: number, text: string][]): Promise<string> {
  const cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model', ...env });
  for (const [at, text] of messages) {
    cairn.manualClock.set(at);
    await cairn.gateway.receive(cairn.adapter.message(text));
  }
  await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
  await cairn.notes.idle();
  return String((rig.server.chatRequests().filter(isExtraction)[0] as ChatBody).messages[1].content);
}

/** A deterministic PRNG for property-style tests. */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

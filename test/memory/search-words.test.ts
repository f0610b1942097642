/** Everyday questions find the note that answers them (win finds won, email finds e-mail). */
import { describe, expect, it } from 'vitest';
import { notesFixture, NOW, toolContext } from './helpers.js';
import { memorySearchTool } from '../../src/memory/notes/tools.js';

const ALICE = 'test:alice';

function texts(hits: { note: { text: string } }[]): string[] {
  return hits.map((hit) => hit.note.text);
}

describe('keyword search', () => {
  it('"what did I win?" finds the note that says what she won (win → won, as the irregular forms promise)', () => {
    const { notes } = notesFixture();
    notes.store.add(ALICE, { text: 'Alice won a Raspberry Pi in the office raffle.', kind: 'fact', origin: 'user', createdAt: NOW });
    expect(texts(notes.search.keyword(ALICE, 'What did I win?'))).toEqual(['Alice won a Raspberry Pi in the office raffle.']);
  });

  it('memory_search "win" (what the model sends) finds it too', async () => {
    const { notes } = notesFixture();
    notes.store.add(ALICE, { text: 'Alice won a Raspberry Pi in the office raffle.', kind: 'fact', origin: 'user', createdAt: NOW });
    const result = await memorySearchTool(notes).execute({ query: 'win', limit: 8 }, toolContext(ALICE));
    expect(JSON.stringify(result)).toContain('Raspberry Pi');
  });

  it('memory_search "*" lists the newest notes, as an empty query does (it found nothing, and the model told the user it remembered nothing)', async () => {
    const { notes } = notesFixture();
    notes.store.add(ALICE, { text: 'Alice deploys on Tuesdays.', kind: 'decision', origin: 'user', createdAt: NOW - 1_000 });
    notes.store.add(ALICE, { text: 'Alice prefers tabs.', kind: 'preference', origin: 'user', createdAt: NOW });
    const tool = memorySearchTool(notes);
    const empty = await tool.execute({ query: '', limit: 8 }, toolContext(ALICE));
    expect(empty).toEqual({ notes: [expect.objectContaining({ text: 'Alice prefers tabs.' }), expect.objectContaining({ text: 'Alice deploys on Tuesdays.' })] });
    // "What do you remember about me?" → memory_search {"query": "*"}
    expect(await tool.execute({ query: '*', limit: 8 }, toolContext(ALICE))).toEqual(empty);
  });

  it('a query with no words is not embedded: hybrid search lists the newest notes too', async () => {
    const embedded: string[] = [];
    const { notes } = notesFixture({ embedder: { model: 'recording', embed: async (texts) => (embedded.push(...texts), texts.map(() => Float32Array.from([1, 0]))) } });
    notes.store.add(ALICE, { text: 'Alice prefers tabs.', kind: 'preference', origin: 'user', createdAt: NOW });
    expect(texts(await notes.search.search(ALICE, '*'))).toEqual(['Alice prefers tabs.']);
    expect(embedded).toEqual(['Alice prefers tabs.']);
  });

  it('a hyphenated word finds its closed spelling and back (e-mail / email, wi-fi / wifi)', () => {
    const { notes } = notesFixture();
    notes.store.add(ALICE, { text: "Alice's email is alice@fastmail.com.", kind: 'fact', origin: 'user', createdAt: NOW });
    notes.store.add(ALICE, { text: "Alice's home Wi-Fi is called Pumpkin5G.", kind: 'fact', origin: 'user', createdAt: NOW });
    expect(texts(notes.search.keyword(ALICE, "What's my e-mail?"))).toEqual(["Alice's email is alice@fastmail.com."]);
    expect(texts(notes.search.keyword(ALICE, 'my wifi'))).toEqual(["Alice's home Wi-Fi is called Pumpkin5G."]);
  });
});

/**
 * Isolation, property-style: many users with overlapping words and one marker word
 * each; random queries (other users' markers, shared words, syntax) through every
 * way out — keyword and hybrid search, both tools, the recalled prompt section, the
 * chat commands and the CLI — never return a note of anyone but the asker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { buildProgram } from '../../src/cli.js';
import { hashedEmbedder, NOW, prng, toolContext } from './helpers.js';

const USERS = Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? `slack:T1:U${i}` : i % 3 === 1 ? `telegram:${1000 + i}` : `discord:${i}`));
const marker = (index: number) => `marker${String.fromCharCode(97 + index)}q`;
const SHARED = ['deploy', 'kafka', 'lunch', 'tabs', 'python', 'review', 'budget', 'travel', 'cat', 'team'];
const SYNTAX = ['"', '*', 'NEAR(', 'OR', '-', ':', '😀', '(', 'owner', 'text', 'o1', 'AND'];

let server: FakeModelServer;
let cairn: TestCairn;
let dataDir: string;
const ownerOf = new Map<number, string>();

beforeAll(async () => {
  server = await startFakeModelServer();
  dataDir = tempDir();
  cairn = startTestCairn(testConfig(server.url, {}, dataDir), { embedder: hashedEmbedder });
  const random = prng(2024);
  USERS.forEach((user, index) => {
    const count = 3 + Math.floor(random() * 25);
    for (let i = 0; i < count; i++) {
      const words = Array.from({ length: 4 }, () => SHARED[Math.floor(random() * SHARED.length)]);
      const note = cairn.notes.store.add(user, { text: `${marker(index)} ${words.join(' ')} note ${i}`, kind: random() < 0.5 ? 'fact' : 'preference', origin: 'import', pinned: i === 0, createdAt: NOW - i * 60_000 });
      ownerOf.set(note.id, user);
    }
  });
});
afterAll(async () => {
  await cairn.close();
  await server.close();
});

function randomQuery(random: () => number): string {
  const parts: string[] = [];
  for (let i = 0, n = 1 + Math.floor(random() * 6); i < n; i++) {
    const roll = random();
    if (roll < 0.4) parts.push(marker(Math.floor(random() * USERS.length)));
    else if (roll < 0.8) parts.push(SHARED[Math.floor(random() * SHARED.length)] as string);
    else parts.push(SYNTAX[Math.floor(random() * SYNTAX.length)] as string);
  }
  return parts.join(' ');
}

/**
 * Every note in an output must be the asker's: each id it shows (`- [12] (…` lines,
 * `"id": 12` in JSON) is theirs, and so is each marker on those notes' lines. (The
 * asker's own query, which may name others' markers, is echoed in some replies.)
 */
function onlyOwn(user: string, text: string, ids: readonly number[] = []): void {
  const own = marker(USERS.indexOf(user));
  const noteLines = text.split('\n').filter((line) => /^- \[\d+\]|"(id|text)":/.test(line.trim()));
  for (const found of noteLines.join('\n').match(/marker[a-z]q/g) ?? []) expect(found, `${user} saw ${found}`).toBe(own);
  const shown = [...text.matchAll(/^- \[(\d+)\]|"id": ?(\d+)/gm)].map((match) => Number(match[1] ?? match[2]));
  for (const id of [...ids, ...shown]) expect(ownerOf.get(id), `${user} got note ${id}`).toBe(user);
}

describe('no note crosses from one user to another', () => {
  it('through keyword and hybrid search, the tools, the recalled prompt and the commands', async () => {
    const random = prng(99);
    for (let round = 0; round < 120; round++) {
      const user = USERS[Math.floor(random() * USERS.length)] as string;
      const query = randomQuery(random);
      const keyword = cairn.notes.search.keyword(user, query, { limit: 50 });
      onlyOwn(user, keyword.map((hit) => hit.note.text).join(' '), keyword.map((hit) => hit.note.id));
      const hybrid = await cairn.notes.search.search(user, query, { limit: 50 });
      onlyOwn(user, hybrid.map((hit) => hit.note.text).join(' '), hybrid.map((hit) => hit.note.id));

      const context = toolContext(user);
      const search = await cairn.tools.execute({ id: `s${round}`, name: 'memory_search', arguments: JSON.stringify({ query, limit: 25 }) }, context);
      onlyOwn(user, search.content);
      const words = Array.from({ length: 3 }, () => SHARED[Math.floor(random() * SHARED.length)]).join(' ');
      const save = await cairn.tools.execute({ id: `w${round}`, name: 'memory_save', arguments: JSON.stringify({ text: `${marker(USERS.indexOf(user))} ${words} saved ${round}` }) }, context);
      const saved = /"id": (\d+)/.exec(save.content)?.[1];
      if (saved) ownerOf.set(Number(saved), user);

      const prefix = cairn.notes.recall.render({ userId: user, userName: 'someone', conversationId: `test:dm:${round}`, platform: 'test', isDirect: true, firstMessage: query, startedAt: NOW });
      onlyOwn(user, prefix ?? '');

      const message = cairn.adapter.message('/memory', { userId: user, conversationId: `test:dm:${user}` });
      onlyOwn(user, String(await cairn.commands.run({ message: { ...message, command: { name: 'memory', args: '' } }, args: '', isAdmin: false })));
      onlyOwn(user, String(await cairn.commands.run({ message: { ...message, command: { name: 'memory', args: query } }, args: query, isAdmin: false })));
      const foreign = [...ownerOf].find(([, owner]) => owner !== user)?.[0];
      await cairn.commands.run({ message: { ...message, command: { name: 'forget', args: String(foreign) } }, args: String(foreign), isAdmin: false });
      expect(cairn.notes.store.get(ownerOf.get(foreign!)!, foreign!), 'forget reached another user').toBeDefined();
    }
  });

  it('through `cairn memory search` and `export`', async () => {
    const random = prng(5);
    const previous = process.env.CAIRN_DATA_DIR;
    process.env.CAIRN_DATA_DIR = dataDir;
    try {
      for (let round = 0; round < 12; round++) {
        const user = USERS[Math.floor(random() * USERS.length)] as string;
        const lines: string[] = [];
        const program = buildProgram((line) => lines.push(line)).exitOverride();
        await program.parseAsync(['memory', 'search', '--user', user, '--limit', '100', '--json', randomQuery(random)], { from: 'user' });
        const results = JSON.parse(lines.join('')) as { id: number; text: string }[];
        onlyOwn(user, results.map((r) => r.text).join(' '), results.map((r) => r.id));
        const exported: string[] = [];
        await buildProgram((line) => exported.push(line)).exitOverride().parseAsync(['memory', 'export', '--user', user], { from: 'user' });
        onlyOwn(user, exported.join('\n'), exported.map((line) => (JSON.parse(line) as { id: number }).id));
        expect(exported.length).toBe(cairn.notes.store.all(user).length);
      }
    } finally {
      if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
      else process.env.CAIRN_DATA_DIR = previous;
    }
  });
});

/** `cairn memory …`: the fixed CLI contract, lossless export/import, all-or-nothing imports, and SIGKILL mid-import. */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { KeptFiles } from '../../src/core/kept-files.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { IdentityLinks } from '../../src/access/identities.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess as cairn, useCairnDataDir } from '../helpers/cli-in-process.js';
import { NOW } from './helpers.js';

let dataDir: string;
useCairnDataDir(() => (dataDir = tempDir('cairn-memory-cli-')));

function file(name: string, lines: readonly (string | object)[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'));
  return path;
}

const SAMPLE = [
  { text: 'Ada prefers tabs in Python', created_at: '2026-03-01T09:00:00Z', kind: 'preference', external_id: 'a1' },
  { text: 'Ada deployed billing v2 on a Friday', created_at: '2026-03-15', external_id: 'a2' },
  { text: 'Ada moved the standup to ten', created_at: '2026-03-20T08:30:00+01:00' },
];

describe('cairn memory dates', () => {
  it('reads --since/--until and shows notes by their day in CAIRN_TZ, as memory_search and /memory do', async () => {
    const previousZone = process.env.CAIRN_TZ;
    process.env.CAIRN_TZ = 'Asia/Tokyo';
    try {
      // 23:30 UTC on the 4th is 08:30 on 5 March in Tokyo.
      await cairn('memory', 'import', '--user', 'slack:T1:U1', file('tokyo.jsonl', [{ text: 'Ada chose the blue logo', created_at: '2026-03-04T23:30:00Z' }]));
      expect(await cairn('memory', 'list', '--user', 'slack:T1:U1')).toEqual([expect.stringContaining('(note, 2026-03-05) Ada chose the blue logo')]);
      const found = JSON.parse((await cairn('memory', 'search', '--user', 'slack:T1:U1', '--since', '2026-03-05', '--until', '2026-03-05', '--json', 'logo'))[0]!) as unknown[];
      expect(found).toHaveLength(1);
      expect(JSON.parse((await cairn('memory', 'search', '--user', 'slack:T1:U1', '--since', '2026-03-04', '--until', '2026-03-04', '--json', 'logo'))[0]!)).toEqual([]);
    } finally {
      if (previousZone === undefined) delete process.env.CAIRN_TZ;
      else process.env.CAIRN_TZ = previousZone;
    }
  });
});

describe('cairn memory import / search', () => {
  it('imports JSONL and searches it with the fixed JSON shapes, best first', async () => {
    expect(await cairn('memory', 'import', '--user', 'slack:T1:U1', file('in.jsonl', SAMPLE))).toEqual(['Imported 3 notes for slack:T1:U1.']);
    const [json] = await cairn('memory', 'search', '--user', 'slack:T1:U1', '--json', 'what does Ada prefer in python? "tabs"');
    const results = JSON.parse(json!) as Record<string, unknown>[];
    expect(results[0]).toEqual({ id: expect.any(Number), external_id: 'a1', text: 'Ada prefers tabs in Python', kind: 'preference', created_at: '2026-03-01T09:00:00.000Z', score: expect.any(Number) });
    for (const result of results) expect(Object.keys(result).sort()).toEqual(['created_at', 'external_id', 'id', 'kind', 'score', 'text']);
    const scores = results.map((r) => r.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const dated = JSON.parse((await cairn('memory', 'search', '--user', 'slack:T1:U1', '--since', '2026-03-10', '--until', '2026-03-20', '--limit', '5', '--json', 'Ada'))[0]!) as { external_id: string | null; created_at: string }[];
    expect(dated.map((r) => r.created_at).sort()).toEqual(['2026-03-15T00:00:00.000Z', '2026-03-20T07:30:00.000Z']);
    expect(JSON.parse((await cairn('memory', 'search', '--user', 'someone:else', '--json', 'Ada'))[0]!)).toEqual([]);
  });

  it('answers a batch of queries in one process, one JSON line per query', async () => {
    await cairn('memory', 'import', '--user', 'u', file('in.jsonl', SAMPLE));
    const batch = file('queries.jsonl', [{ id: 'q1', query: 'tabs' }, { id: 'q2', query: 'standup time' }, { id: 'q3', query: '"NEAR(*' }, '']);
    const lines = await cairn('memory', 'search', '--user', 'u', '--limit', '2', '--json', '--batch', batch);
    const parsed = lines.map((line) => JSON.parse(line) as { id: string; results: { external_id: string | null; text: string }[] });
    expect(parsed.map((p) => p.id)).toEqual(['q1', 'q2', 'q3']);
    expect(parsed[0]?.results[0]?.external_id).toBe('a1');
    expect(parsed[1]?.results[0]?.text).toContain('standup');
    expect(parsed[2]?.results).toEqual([]);
  });

  it('aborts the whole import at the first bad line, naming it', async () => {
    const cases: [unknown[], RegExp][] = [
      [[SAMPLE[0], SAMPLE[1], '{"text": "broken"', SAMPLE[2]], /Line 3 of .*not valid JSON/],
      [[SAMPLE[0], { text: 'when?', created_at: 'last tuesday' }], /Line 2 of .*created_at "last tuesday" is not an ISO 8601/],
      [[SAMPLE[0], { created_at: '2026-01-01' }], /Line 2 of .*text/],
      [[SAMPLE[0], { text: '   ', created_at: '2026-01-01' }], /Line 2 of .*text is empty/],
      [[SAMPLE[0], SAMPLE[1], { ...SAMPLE[2], external_id: 'a1' }], /Line 3 of .*external_id "a1" is already used on line 1/],
    ];
    for (const [lines, error] of cases) {
      await expect(cairn('memory', 'import', '--user', 'u', file('bad.jsonl', lines as object[]))).rejects.toThrow(error);
      await expect(cairn('memory', 'import', '--user', 'u', file('bad.jsonl', lines as object[]))).rejects.toThrow(/Nothing was imported/);
      expect(await cairn('memory', 'list', '--user', 'u')).toEqual(['No notes for u.']);
    }
  });
});

describe('cairn memory export', () => {
  it('imports back losslessly: every field, pinned notes and superseded versions included', async () => {
    await cairn('memory', 'import', '--user', 'ada', file('in.jsonl', SAMPLE));
    const db = openDatabase(databasePath(dataDir));
    const store = new NoteStore(db);
    const pinned = store.add('ada', { text: 'Ada is on the payments team', kind: 'fact', origin: 'user', pinned: true, sourceSession: 'session-7', createdAt: NOW });
    store.supersede('ada', pinned.id - 1, { text: 'Ada moved the standup to nine', kind: 'decision', origin: 'model', createdAt: NOW + 1 });
    db.close();

    const first = await cairn('memory', 'export', '--user', 'ada');
    expect(first).toHaveLength(5);
    expect(await cairn('memory', 'import', '--user', 'ada-copy', file('export.jsonl', first))).toEqual(['Imported 5 notes for ada-copy.']);
    const second = await cairn('memory', 'export', '--user', 'ada-copy');
    // Ids differ between users; references within the file must map one to one.
    const normalize = (lines: string[]) => {
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const index = new Map(parsed.map((note, i) => [note.id, i]));
      return parsed.map((note) => ({ ...note, id: index.get(note.id), superseded_by: note.superseded_by === null ? null : index.get(note.superseded_by) }));
    };
    expect(normalize(second)).toEqual(normalize(first));
    expect(normalize(first).filter((note) => note.superseded_by !== null)).toHaveLength(1);
    expect(JSON.parse((await cairn('memory', 'list', '--user', 'ada-copy', '--json'))[0]!)).toHaveLength(4);
    // The same export imported again (a restore run twice) adds nothing: the two with an external_id replace themselves, the three without are found by text and date.
    expect(await cairn('memory', 'import', '--user', 'ada-copy', file('export.jsonl', first))).toEqual(['Imported 2 notes for ada-copy. 3 were there already (same text and date), and kept as they are.']);
    expect(normalize(await cairn('memory', 'export', '--user', 'ada-copy'))).toEqual(normalize(first));
  });

  it('forgets by id or all', async () => {
    await cairn('memory', 'import', '--user', 'ada', file('in.jsonl', SAMPLE));
    const [listing] = await cairn('memory', 'list', '--user', 'ada', '--json');
    const [first] = JSON.parse(listing!) as { id: number }[];
    await expect(cairn('memory', 'forget', '--user', 'bob', String(first!.id))).rejects.toThrow(/bob has no note/);
    // A conversation of Ada's in progress (of a running Cairn) may hold what is deleted: it ends, and is not condensed into notes.
    const db = openDatabase(databasePath(dataDir));
    const sessions = new SessionStore(db);
    const talking = sessions.start({ conversationId: 'test:dm:ada', platform: 'test', userId: 'ada', prefix: 'notes: Ada prefers tabs', model: undefined }, NOW);
    // A file Ada sent that is kept (a log with a password in it, say): `forget all` drops it, as /forget all does.
    new KeptFiles(db, { now: () => Date.now() }, 7).keepText({ conversationId: 'test:dm:ada', userId: 'ada' }, 'app.log', 'password=hunter2');
    db.close();
    expect(await cairn('memory', 'forget', '--user', 'ada', String(first!.id))).toEqual([
      `Deleted note ${first!.id}.`,
      'Ended their conversation in progress, which may have held it; the next message starts afresh.',
    ]);
    expect(await cairn('memory', 'forget', '--user', 'ada', 'all')).toEqual(['Deleted 2 notes of ada.', 'Deleted the file they sent that was kept.']);
    const after = openDatabase(databasePath(dataDir));
    expect(new SessionStore(after).get(talking.id)).toMatchObject({ status: 'ended', endReason: 'forgotten' });
    expect(after.prepare('SELECT COUNT(*) FROM attachments').pluck().get()).toBe(0);
    after.close();
  });
});

describe('cairn memory export -o', () => {
  it('writes the file readable by its owner only, whatever the umask, replacing one that was there', async () => {
    const umask = process.umask(0o022);
    try {
      await cairn('memory', 'import', '--user', 'ada', file('in.jsonl', SAMPLE));
      const out = join(dataDir, 'ada.jsonl');
      writeFileSync(out, 'an older export\n', { mode: 0o644 });
      await cairn('memory', 'export', '--user', 'ada', '-o', out);
      expect((statSync(out).mode & 0o777).toString(8)).toBe('600');
      expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    } finally {
      process.umask(umask);
    }
  });
});

describe('cairn memory users, linked accounts and unknown keys', () => {
  /** Runs `cairn …` in process; returns stdout and the notices written to stderr. */
  async function withNotices(...args: string[]): Promise<{ out: string[]; notices: string }> {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const out = await cairn(...args);
      return { out, notices: stderr.mock.calls.map((call) => String(call[0])).join('') };
    } finally {
      stderr.mockRestore();
    }
  }

  function linkAccounts(issuer: string, redeemer: string): void {
    const db = openDatabase(databasePath(dataDir));
    const links = new IdentityLinks(db);
    links.redeem(links.issueCode(issuer, NOW), redeemer, NOW);
    db.close();
  }

  it('lists every user key with its notes, the newest and the linked accounts', async () => {
    expect(await cairn('memory', 'users')).toEqual(['Nobody has notes yet.']);
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', SAMPLE));
    await cairn('memory', 'import', '--user', 'slack:T1:U2', file('one.jsonl', [SAMPLE[0]!]));
    linkAccounts('console:ada', 'telegram:42');

    expect(await cairn('memory', 'users')).toEqual([
      'console:ada  3 notes, newest 2026-03-20T07:30:00.000Z (linked: telegram:42)',
      'slack:T1:U2  1 note, newest 2026-03-01T09:00:00.000Z',
    ]);
    expect(JSON.parse((await cairn('memory', 'users', '--json'))[0]!)).toEqual([
      { user: 'console:ada', notes: 3, newest_at: '2026-03-20T07:30:00.000Z', linked: ['telegram:42'] },
      { user: 'slack:T1:U2', notes: 1, newest_at: '2026-03-01T09:00:00.000Z', linked: [] },
    ]);
  });

  it("reads, imports and forgets a linked account's notes under its person key, and says so", async () => {
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', SAMPLE));
    linkAccounts('console:ada', 'telegram:42');

    const listed = await withNotices('memory', 'list', '--user', 'telegram:42', '--json');
    expect(JSON.parse(listed.out[0]!)).toHaveLength(3);
    expect(listed.notices).toBe('cairn: telegram:42 is linked with other accounts; their notes are kept under console:ada.\n');
    const found = await withNotices('memory', 'search', '--user', 'telegram:42', '--json', 'tabs');
    expect(JSON.parse(found.out[0]!)).toEqual([expect.objectContaining({ external_id: 'a1' })]);
    expect((await cairn('memory', 'export', '--user', 'telegram:42'))).toHaveLength(3);

    await withNotices('memory', 'import', '--user', 'telegram:42', file('more.jsonl', [{ text: 'Ada uses a split keyboard', created_at: '2026-04-01' }]));
    expect(JSON.parse((await cairn('memory', 'list', '--user', 'console:ada', '--json'))[0]!)).toHaveLength(4);

    // An operator deleting a person's notes from any of their accounts deletes all of them.
    expect((await withNotices('memory', 'forget', '--user', 'telegram:42', 'all')).out).toEqual(['Deleted 4 notes of telegram:42.']);
    expect(await cairn('memory', 'list', '--user', 'console:ada')).toEqual(['No notes for console:ada.']);
  });

  it('points a key nobody has notes under to the qualified keys, on stderr only', async () => {
    await cairn('memory', 'import', '--user', 'console:root', file('in.jsonl', SAMPLE));
    const bare = await withNotices('memory', 'list', '--user', 'root');
    expect(bare.out).toEqual(['No notes for root.']);
    expect(bare.notices).toBe('cairn: Nobody has notes under "root". Did you mean console:root? `cairn memory users` lists every key.\n');

    const json = await withNotices('memory', 'search', '--user', 'someone', '--json', 'tabs');
    expect(json.out).toEqual(['[]']);
    expect(json.notices).toContain('Keys are platform-qualified, e.g. console:alice or slack:T1:U1.');
    expect((await withNotices('memory', 'list', '--user', 'console:root', '--json')).notices).toBe('');
  });
});

describe('a large import killed with SIGKILL', () => {
  it('leaves the database valid, holding all of the import or none of it', async () => {
    const total = 60_000;
    const lines = Array.from({ length: total }, (_, i) => JSON.stringify({ text: `note ${i} about kafka lag, deploys and the budget review number ${i % 977}`, created_at: '2026-01-01T00:00:00Z', external_id: `n${i}` }));
    const path = join(dataDir, 'big.jsonl');
    writeFileSync(path, lines.join('\n'));
    const child = spawn(process.execPath, [`${process.cwd()}/bin/cairn.js`, 'memory', 'import', '--user', 'big', path], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    // Killed as soon as the import says it is inside its transaction (progress is written synchronously).
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/… \d+ of 60000/.test(stderr)) resolve();
      });
      child.on('exit', () => reject(new Error(`the import ended before it could be killed: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = new Database(databasePath(dataDir));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
    const count = db.prepare('SELECT COUNT(*) FROM notes').pluck().get() as number;
    expect([0, total]).toContain(count);
    const owners = db.prepare('SELECT COALESCE(SUM(notes), 0) FROM note_owners').pluck().get();
    expect(owners).toBe(count);
    db.close();
    // And it can be imported again.
    expect(await cairn('memory', 'import', '--user', 'big', path)).toEqual([`Imported ${total} notes for big.`]);
  });
});

describe('memory import: superseded_by references', () => {
  it('rejects a file whose superseded_by references form a cycle (otherwise every note of the chain silently vanishes)', async () => {
    const path = file('cycle.jsonl', [
      { id: 1, text: 'Ada prefers tabs', created_at: '2026-03-01', superseded_by: 2 },
      { id: 2, text: 'Ada prefers spaces', created_at: '2026-03-02', superseded_by: 1 },
    ]);
    let printed: string[] = [];
    let error: unknown;
    try {
      printed = await cairn('memory', 'import', '--user', 'console:ada', path);
    } catch (caught) {
      error = caught;
    }
    const listed = JSON.parse((await cairn('memory', 'list', '--user', 'console:ada', '--json'))[0]!) as unknown[];
    // Either refused, or at least one note is live; "Imported 2 notes" with nothing to list is data loss.
    expect({ printed, refused: error !== undefined, live: listed.length > 0 }).toEqual({ printed: [], refused: true, live: false });
  });

  it('rejects a note that supersedes itself', async () => {
    const path = file('self.jsonl', [{ id: 7, text: 'Ada drinks tea', created_at: '2026-03-01', superseded_by: 7 }]);
    await expect(cairn('memory', 'import', '--user', 'console:ada', path)).rejects.toThrow();
  });
});

describe('memory users', () => {
  it('lists only keys with notes: a mistyped key given to forget all does not appear', async () => {
    await cairn('memory', 'import', '--user', 'console:ada', file('in.jsonl', [{ text: 'Ada prefers tabs', created_at: '2026-03-01' }]));
    await cairn('memory', 'forget', '--user', 'ada', 'all');
    const users = JSON.parse((await cairn('memory', 'users', '--json'))[0]!) as { user: string }[];
    expect(users.map((u) => u.user)).toEqual(['console:ada']);
  });
});

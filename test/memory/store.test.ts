/** The notes store: versions, forgetting, owner counts, both search plans, and the FTS index kept in sync. */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { TermBudget } from '../../src/memory/notes/term-budget.js';
import { DAY, NOW, prng, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();

function ftsIsConsistent(db: Db): void {
  db.prepare("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')").run();
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  // Owner counts equal the live notes.
  const drift = db.prepare('SELECT COUNT(*) FROM note_owners o WHERE o.notes <> (SELECT COUNT(*) FROM notes n WHERE n.owner_id = o.id AND n.superseded_by IS NULL)').pluck().get();
  expect(drift).toBe(0);
}

describe('NoteStore', () => {
  it('keeps provenance, lists pinned first then newest, and supersedes without losing the old version', () => {
    const { notes, db } = fixture();
    const store = notes.store;
    const old = store.add('ada', { text: 'Ada prefers tabs', kind: 'preference', origin: 'model', sourceSession: 's1', createdAt: NOW - 2 * DAY });
    store.add('ada', { text: 'Ada is on the payments team', kind: 'fact', origin: 'user', pinned: true, createdAt: NOW - 5 * DAY });
    const newer = store.supersede('ada', old.id, { text: 'Ada now prefers spaces', kind: 'preference', origin: 'model', sourceSession: 's2', createdAt: NOW });
    expect(store.list('ada').map((n) => n.text)).toEqual(['Ada is on the payments team', 'Ada now prefers spaces']);
    expect(store.get('ada', old.id)).toMatchObject({ supersededBy: newer.id, origin: 'model', trust: 'low', sourceSession: 's1' });
    expect(store.pinned('ada').map((n) => n.kind)).toEqual(['fact']);
    expect(notes.search.keyword('ada', 'prefers').map((hit) => hit.note.id)).toEqual([newer.id]);
    expect(store.all('ada')).toHaveLength(3);
    ftsIsConsistent(db);
  });

  it('forgets a note with the versions it replaced, and only the owner can', () => {
    const { notes, db } = fixture();
    const store = notes.store;
    const v1 = store.add('ada', { text: 'version one', kind: 'fact', origin: 'model', createdAt: NOW });
    const v2 = store.supersede('ada', v1.id, { text: 'version two', kind: 'fact', origin: 'model', createdAt: NOW });
    const v3 = store.supersede('ada', v2.id, { text: 'version three', kind: 'fact', origin: 'model', createdAt: NOW });
    const other = store.add('ada', { text: 'unrelated', kind: 'fact', origin: 'user', createdAt: NOW });
    expect(store.forget('bob', v3.id, NOW)).toBe(0);
    expect(store.forget('ada', v3.id, NOW)).toBe(3);
    expect(store.all('ada').map((n) => n.id)).toEqual([other.id]);
    expect(store.forgetAll('ada', NOW)).toBe(1);
    expect(store.owner('ada')).toMatchObject({ notes: 0, forgottenAt: NOW });
    ftsIsConsistent(db);
  });

  it('counts the notes a person had when all are forgotten, not the older versions behind them', () => {
    const { notes } = fixture();
    const first = notes.store.add('ada', { text: 'Ada uses vim.', kind: 'preference', origin: 'model', createdAt: NOW });
    notes.store.supersede('ada', first.id, { text: 'Ada uses neovim.', kind: 'preference', origin: 'model', createdAt: NOW + 1 });
    expect(notes.store.owner('ada')?.notes).toBe(1);
    expect(notes.store.forgetAll('ada', NOW + 2)).toBe(1);
  });

  it('stays consistent with the FTS index through random adds, updates, supersessions and deletes', () => {
    const { notes, db } = fixture();
    const store = notes.store;
    const random = prng(7);
    const words = ['alpha', 'beta', 'gamma', 'delta', 'deploy', 'kafka', 'postgres', 'tabs', 'spaces', 'lunch'];
    const users = ['u1', 'u2', 'u3'];
    const sentence = () => Array.from({ length: 3 + Math.floor(random() * 5) }, () => words[Math.floor(random() * words.length)]).join(' ');
    for (let step = 0; step < 300; step++) {
      const user = users[Math.floor(random() * users.length)] as string;
      const live = store.list(user, { limit: 1_000 });
      const pick = live[Math.floor(random() * live.length)];
      const action = random();
      if (action < 0.5 || !pick) store.add(user, { text: sentence(), kind: 'fact', origin: 'model', createdAt: NOW + step, externalId: random() < 0.3 ? `x${Math.floor(random() * 20)}` : undefined });
      else if (action < 0.7) store.supersede(user, pick.id, { text: sentence(), kind: 'fact', origin: 'model', createdAt: NOW + step });
      else if (action < 0.95) store.forget(user, pick.id, NOW + step);
      else store.forgetAll(user, NOW + step);
    }
    ftsIsConsistent(db);
    // Every live note is findable by each of its words, and nothing else is.
    for (const user of users) {
      const live = new Set(store.list(user, { limit: 10_000 }).map((n) => n.id));
      for (const word of words) {
        const found = notes.search.keyword(user, word, { limit: 1_000 }).map((hit) => hit.note.id);
        const expected = [...live].filter((id) => store.get(user, id)?.text.split(' ').includes(word));
        expect(new Set(found), `${user} ${word}`).toEqual(new Set(expected));
      }
    }
  });

  it("returns a user's best BM25 matches whichever plan their share of the notes picks", () => {
    const { notes, db } = fixture();
    const random = prng(3);
    const words = ['river', 'stone', 'cairn', 'trail', 'summit', 'ridge', 'valley', 'lake', 'forest', 'meadow', 'camp', 'map'];
    const sentence = () => Array.from({ length: 4 + Math.floor(random() * 8) }, () => words[Math.floor(random() * words.length)]).join(' ');
    // A large user (most of the index: whole-index plan), a mid one and a small one (owner-token plan).
    const sizes: Record<string, number> = { big: 1_500, mid: 300, small: 40 };
    for (const [user, size] of Object.entries(sizes)) {
      notes.store.import(user, Array.from({ length: size }, (_, i) => ({ text: sentence(), kind: 'note', origin: 'import' as const, createdAt: NOW - i })));
    }
    const truth = db.prepare<[string, string, number], { id: number }>(
      `SELECT n.id FROM notes_fts CROSS JOIN notes n ON n.id = notes_fts.rowid JOIN note_owners o ON o.id = n.owner_id
       WHERE notes_fts MATCH ? AND o.user_id = ? ORDER BY bm25(notes_fts, 1.0, 0.0), n.id LIMIT ?`,
    );
    for (const user of Object.keys(sizes)) {
      for (const query of [['river'], ['stone', 'summit'], ['map', 'camp', 'lake', 'forest']]) {
        const found = notes.search.keywords.candidates(user, query, 50).map((c) => c.id);
        const expected = truth.all(`{text} : (${query.map((q) => `"${q}"`).join(' OR ')})`, user, 50).map((row) => row.id);
        // Ties in bm25 may order differently; the sets must match.
        expect(new Set(found), `${user} ${query.join(' ')}`).toEqual(new Set(expected));
      }
    }
  });

  it('leaves the most common terms out of candidate generation only when a large index would score too many notes', () => {
    const { notes } = fixture();
    const rows = Array.from({ length: 400 }, (_, i) => ({ text: `common ${i % 2 === 0 ? 'usual' : ''} ${i % 40 === 0 ? 'rare' : ''} note`, kind: 'note', origin: 'import' as const, createdAt: NOW }));
    notes.store.import('ada', rows);
    const small = new TermBudget(notes.store, { fromNotes: 1_000, matches: 100 });
    expect(small.fit(['common', 'usual', 'rare'])).toEqual(['common', 'usual', 'rare']);
    const large = new TermBudget(notes.store, { fromNotes: 100, matches: 250 });
    expect(large.fit(['common', 'usual', 'rare'])).toEqual(['usual', 'rare']);
    expect(new TermBudget(notes.store, { fromNotes: 100, matches: 5 }).fit(['common', 'usual', 'rare'])).toEqual(['rare']);
    notes.store.add('ada', { text: 'rare rare', kind: 'note', origin: 'user', createdAt: NOW });
    expect(large.fit(['rare', 'usual', 'common'])).toEqual(['rare', 'usual']);
  });

  it('imports all or nothing, replacing notes by external id', () => {
    const { notes, db } = fixture();
    notes.store.import('ada', [
      { text: 'first', kind: 'note', origin: 'import', externalId: 'e1', createdAt: NOW },
      { text: 'second', kind: 'note', origin: 'import', externalId: 'e2', createdAt: NOW },
    ]);
    notes.store.import('ada', [{ text: 'first, corrected', kind: 'note', origin: 'import', externalId: 'e1', createdAt: NOW + 1 }]);
    expect(notes.store.list('ada').map((n) => n.text).sort()).toEqual(['first, corrected', 'second']);
    expect(() =>
      notes.store.import('ada', [
        { text: 'third', kind: 'note', origin: 'import', createdAt: NOW },
        { text: 'bad reference', kind: 'note', origin: 'import', createdAt: NOW, ref: 1, supersededByRef: 99 },
      ]),
    ).toThrow(/superseded_by 99/);
    expect(notes.store.list('ada')).toHaveLength(2);
    ftsIsConsistent(db);
  });

  it('shows a note imported again by external id even after a newer version had replaced it, and keeps that version as its history', () => {
    const { notes, db } = fixture();
    notes.store.import('ada', [{ text: 'Ada works at Acme.', kind: 'fact', origin: 'import', externalId: 'x1', createdAt: NOW }]);
    const [imported] = notes.store.list('ada');
    const newer = notes.store.supersede('ada', imported!.id, { text: 'Ada works at Globex.', kind: 'fact', origin: 'model', createdAt: NOW + 1 });
    notes.store.import('ada', [{ text: 'Ada works at Initech.', kind: 'fact', origin: 'import', externalId: 'x1', createdAt: NOW + 2 }]);
    expect(notes.store.list('ada').map((n) => n.text)).toEqual(['Ada works at Initech.']);
    expect(notes.store.get('ada', newer.id)?.supersededBy).toBe(imported!.id);
    ftsIsConsistent(db);
    // Forgetting it takes its history along.
    expect(notes.store.forget('ada', imported!.id, NOW + 3)).toBe(2);
    ftsIsConsistent(db);
  });
});

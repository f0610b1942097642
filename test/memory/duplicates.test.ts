/** Duplicates and contradictions: an update must not be swallowed by another note that shares its words. */
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/memory/notes/reconcile.js';
import { memorySaveTool } from '../../src/memory/notes/tools.js';
import { DAY, NOW, toolContext, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();
const ADA = 'test:ada';

describe('reconcile: an explicit update', () => {
  it('retires the note it replaces even when its words are already in another note', () => {
    const { notes } = fixture();
    // Two model notes from earlier conversations.
    const job = notes.store.add(ADA, { text: 'Ada works at Acme.', kind: 'fact', origin: 'model', createdAt: NOW - 90 * DAY });
    notes.store.add(ADA, { text: "Ada's partner works at Globex.", kind: 'fact', origin: 'model', createdAt: NOW - 60 * DAY });
    // "I switched jobs: I work at Globex now." The model marks the update of note `job`.
    const outcome = reconcile([{ text: 'Ada works at Globex.', kind: 'fact', replaces: job.id }], notes.store.list(ADA), { sessionId: 's1', now: NOW });
    notes.store.applyBatch(ADA, outcome.changes);
    const live = notes.store.list(ADA).map((note) => note.text);
    // The outdated job must not stay live beside (or instead of) the new one.
    expect(live).not.toContain('Ada works at Acme.');
    expect(live).toContain('Ada works at Globex.');
    expect(live).toContain("Ada's partner works at Globex.");
  });

  it('retires the note it replaces when the new wording already exists as a separate note', () => {
    const { notes } = fixture();
    const old = notes.store.add(ADA, { text: 'Ada deploys the billing service with Helm.', kind: 'fact', origin: 'model', createdAt: NOW - 90 * DAY });
    // An earlier extraction already wrote the new fact, without marking the update.
    const argo = notes.store.add(ADA, { text: 'Ada deploys the billing service with Argo CD.', kind: 'fact', origin: 'model', createdAt: NOW - 10 * DAY });
    const outcome = reconcile([{ text: 'Ada deploys the billing service with Argo CD.', kind: 'fact', replaces: old.id }], notes.store.list(ADA), { sessionId: 's2', now: NOW });
    expect(outcome).toEqual(expect.objectContaining({ added: 0, superseded: 1, duplicates: 1 }));
    notes.store.applyBatch(ADA, outcome.changes);
    const live = notes.store.list(ADA).map((note) => note.text);
    // The model said note `old` is out of date: Helm must no longer be what Cairn recalls.
    expect(live).not.toContain('Ada deploys the billing service with Helm.');
    expect(live).toEqual(['Ada deploys the billing service with Argo CD.']);
    // Its history leads to the note that says what replaced it, which was seen again.
    expect(notes.store.get(ADA, old.id)?.supersededBy).toBe(argo.id);
    expect(notes.store.get(ADA, argo.id)?.trust).toBe('medium');
  });

  it('retires the note it replaces when a note earlier in the same extraction says the update already', () => {
    const { notes } = fixture();
    const old = notes.store.add(ADA, { text: 'Ada deploys the billing service with Helm.', kind: 'fact', origin: 'model', createdAt: NOW - 90 * DAY });
    const outcome = reconcile(
      [
        { text: 'Ada deploys the billing service with Argo CD.', kind: 'fact' },
        { text: 'Ada deploys the billing service with Argo CD.', kind: 'fact', replaces: old.id },
      ],
      notes.store.list(ADA),
      { sessionId: 's3', now: NOW },
    );
    expect(outcome).toEqual(expect.objectContaining({ added: 0, superseded: 1, duplicates: 1 }));
    const [written] = notes.store.applyBatch(ADA, outcome.changes);
    expect(notes.store.list(ADA).map((note) => note.text)).toEqual(['Ada deploys the billing service with Argo CD.']);
    expect(notes.store.get(ADA, old.id)?.supersededBy).toBe(written?.id);
  });

  it('that repeats the note it replaces word for word changes nothing but confirms it', () => {
    const { notes } = fixture();
    const note = notes.store.add(ADA, { text: 'Ada deploys the billing service with Helm.', kind: 'fact', origin: 'model', createdAt: NOW - 90 * DAY });
    const outcome = reconcile([{ text: 'Ada deploys the billing service with Helm.', kind: 'fact', replaces: note.id }], notes.store.list(ADA), { sessionId: 's4', now: NOW });
    notes.store.applyBatch(ADA, outcome.changes);
    expect(notes.store.list(ADA)).toEqual([expect.objectContaining({ id: note.id, trust: 'medium' })]);
  });
});

describe('memory_save of a new fact', () => {
  it("is not taken for a different note that happens to hold all its words, nor makes that note the user's own", async () => {
    const { notes } = fixture();
    const partner = notes.store.add(ADA, { text: "Ada's partner works at Globex.", kind: 'fact', origin: 'model', createdAt: NOW - 60 * DAY });
    // "Remember: I work at Globex now."
    const reply = await memorySaveTool(notes).execute({ text: 'Ada works at Globex.', kind: 'fact', pinned: false }, toolContext(ADA));
    expect(String(JSON.stringify(reply))).not.toContain('Already remembered');
    expect(notes.store.list(ADA).map((note) => note.text)).toContain('Ada works at Globex.');
    // The model's inference about her partner is not promoted to the user's own, trusted words.
    expect(notes.store.get(ADA, partner.id)).toEqual(expect.objectContaining({ origin: 'model', trust: 'low' }));
  });

  it('is not swallowed by an older note that says the opposite with one more word', async () => {
    const { notes } = fixture();
    notes.store.add(ADA, { text: 'Ada stopped drinking coffee.', kind: 'preference', origin: 'model', createdAt: NOW - 30 * DAY });
    // "Remember that I drink coffee again."
    const reply = await memorySaveTool(notes).execute({ text: 'Ada drinks coffee again.', kind: 'preference', pinned: false }, toolContext(ADA));
    expect(String(JSON.stringify(reply))).not.toContain('Already remembered');
    expect(notes.store.list(ADA).map((note) => note.text)).toContain('Ada drinks coffee again.');
  });

  it('worded a little differently is still the note Cairn had', async () => {
    const { notes } = fixture();
    const had = notes.store.add(ADA, { text: 'Ada prefers answers in British English.', kind: 'preference', origin: 'model', createdAt: NOW - 30 * DAY });
    const reply = await memorySaveTool(notes).execute({ text: 'Ada prefers her answers in British English', kind: 'preference', pinned: false }, toolContext(ADA));
    expect(reply).toBe(`Already remembered as note ${had.id}: Ada prefers answers in British English.`);
  });
});

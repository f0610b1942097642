/** A note that differs from one Cairn has only in a number (a flat, a phone number, a date) says something else. */
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/memory/notes/reconcile.js';
import { memorySaveTool } from '../../src/memory/notes/tools.js';
import { DAY, NOW, toolContext, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();
const ADA = 'test:ada';
const OLD = "Ada's new address is 12 Baker Street, London NW1 6XE, flat 5, with the buzzer on the left.";
const NEW = "Ada's new address is 12 Baker Street, London NW1 6XE, flat 3, with the buzzer on the left.";

describe('a changed number', () => {
  it('memory_save keeps the corrected note instead of answering "Already remembered" with the old one', async () => {
    const { notes } = fixture();
    notes.store.add(ADA, { text: OLD, kind: 'fact', origin: 'user', createdAt: NOW - 30 * DAY });
    const reply = await memorySaveTool(notes).execute({ text: NEW, kind: 'fact', pinned: false }, toolContext(ADA));
    expect(JSON.stringify(reply)).not.toContain('Already remembered');
    expect(notes.store.list(ADA).map((note) => note.text)).toContain(NEW);
  });

  it('an extracted note with another number is written, not counted as a duplicate of the old one', () => {
    const { notes } = fixture();
    notes.store.add(ADA, { text: 'Ada pays 1200 euros rent for the flat in Lisbon every month.', kind: 'fact', origin: 'model', createdAt: NOW - 30 * DAY });
    const outcome = reconcile([{ text: 'Ada pays 1450 euros rent for the flat in Lisbon every month.', kind: 'fact' }], notes.store.list(ADA), { sessionId: 's1', now: NOW });
    expect(outcome).toEqual(expect.objectContaining({ added: 1, duplicates: 0 }));
  });

  it('the same note with the same numbers, worded a little differently, is still a duplicate', async () => {
    const { notes } = fixture();
    const had = notes.store.add(ADA, { text: OLD, kind: 'fact', origin: 'user', createdAt: NOW - 30 * DAY });
    const reply = await memorySaveTool(notes).execute({ text: "Ada's new address: 12 Baker Street, London NW1 6XE, flat 5, buzzer on the left", kind: 'fact', pinned: false }, toolContext(ADA));
    expect(reply).toBe(`Already remembered as note ${had.id}: ${OLD}`);
    const outcome = reconcile([{ text: "Ada's address is 12 Baker Street, flat 5.", kind: 'fact' }], notes.store.list(ADA), { sessionId: 's1', now: NOW });
    expect(outcome).toEqual(expect.objectContaining({ added: 0, duplicates: 1 }));
  });
});

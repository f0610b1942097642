/** An extraction retried after newer notes were written: what the older conversation said never replaces them. */
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/memory/notes/reconcile.js';
import type { Note } from '../../src/memory/notes/types.js';

const note = (id: number, text: string, createdAt: number): Note => ({
  id, userId: 'test:alice', text, kind: 'fact', origin: 'model', trust: 'low', sourceSession: undefined, pinned: false,
  supersededBy: undefined, externalId: undefined, createdAt, updatedAt: createdAt,
});

describe('reconciling a conversation older than the note it updates', () => {
  it('keeps the newer note live when the update repeats another note', () => {
    const lisbon = note(1, 'Alice lives in Lisbon.', 200);
    const porto = note(2, 'Alice lives in Porto.', 50);
    const outcome = reconcile([{ text: 'Alice lives in Porto.', kind: 'fact', replaces: 1 }], [lisbon, porto], { sessionId: 's', now: 100 });
    expect(outcome.changes).toEqual([{ type: 'confirm', id: 2, at: 100 }]);
  });

  it('makes a new update the older version of the newer note', () => {
    const outcome = reconcile([{ text: 'Alice lives in Porto.', kind: 'fact', replaces: 1 }], [note(1, 'Alice lives in Lisbon.', 200)], { sessionId: 's', now: 100 });
    expect(outcome.changes).toEqual([{ type: 'history', of: 1, note: expect.objectContaining({ text: 'Alice lives in Porto.', createdAt: 100 }) }]);
    expect(outcome.superseded).toBe(0);
  });
});

/** Where a note was learned, and whether memory_search in a group may return it (src/memory/notes/places.ts). */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { NoteStore } from '../../src/memory/notes/store.js';
import { NotePlaces, placeOf } from '../../src/memory/notes/places.js';
import type { Note } from '../../src/memory/notes/types.js';

describe('placeOf', () => {
  it('is the channel or group everyone in the conversation reads', () => {
    expect(placeOf('slack:T1:C1:1700000000.1')).toBe('slack:T1:C1');
    expect(placeOf('slack:T1:C1')).toBe('slack:T1:C1');
    expect(placeOf('slack:T1:D1:private-U1')).toBe('slack:T1:D1');
    expect(placeOf('discord:42:777')).toBe('discord:42:777');
    expect(placeOf('discord:dm:9')).toBe('discord:dm:9');
    expect(placeOf('telegram:-1002000000777:7')).toBe('telegram:-1002000000777');
    expect(placeOf('telegram:-1002000000777:7:42')).toBe('telegram:-1002000000777');
    expect(placeOf('telegram:-500:42')).toBe('telegram:-500');
    expect(placeOf('telegram:42')).toBe('telegram:42');
    expect(placeOf('console:alice')).toBe('console:alice');
  });
});

describe('NotePlaces.usableIn', () => {
  it("keeps to a group the notes learned there, and those with no conversation; not a direct chat's, another group's, or an unknown one's", () => {
    const db = openDatabase(':memory:');
    const sessions = new SessionStore(db);
    const notes = new NoteStore(db);
    const session = (conversationId: string) => sessions.start({ conversationId, platform: 'slack', userId: 'slack:T1:U1', prefix: '', model: undefined }, 1).id;
    const add = (text: string, sourceSession?: string) => notes.add('slack:T1:U1', { text, kind: 'fact', origin: 'model', sourceSession, createdAt: 1 });
    const thread = add('learned in a thread of the channel', session('slack:T1:C1:1700000000.1'));
    const channel = add('learned in the channel', session('slack:T1:C1'));
    const imported = add('imported with no conversation');
    const dm = add('learned in the direct chat', session('slack:T1:D1'));
    const other = add('learned in another channel', session('slack:T1:C2:1700000000.2'));
    const unknown = add('from a session this database does not know', 'gone-session');
    // Updated in the channel from a note of the direct chat: the update may carry it.
    const update = notes.supersede('slack:T1:U1', dm.id, { text: 'updated in the channel', kind: 'fact', origin: 'model', sourceSession: session('slack:T1:C1:1700000000.3'), createdAt: 2 });
    const hits = [thread, channel, imported, dm, other, unknown, update].map((note: Note) => ({ note, score: 1 }));

    const { usable, heldBack } = new NotePlaces(db).usableIn('slack:T1:C1:1700000000.9', hits);
    expect(usable.map((hit) => hit.note.text)).toEqual(['learned in a thread of the channel', 'learned in the channel', 'imported with no conversation']);
    expect(heldBack).toBe(4);
    expect(new NotePlaces(db).usableIn('slack:T1:C1', [])).toEqual({ usable: [], heldBack: 0 });
  });
});

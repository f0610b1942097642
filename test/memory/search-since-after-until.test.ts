/** since and until the wrong way round are refused with what to do, not answered "No notes match". */
import { describe, expect, it } from 'vitest';
import { DAY, NOW, notesFixture, toolContext } from './helpers.js';
import { memorySearchTool } from '../../src/memory/notes/tools.js';

describe('memory_search since/until', () => {
  it('refuses a since later than until, naming both, so the model does not tell the user nothing happened', async () => {
    const { notes, db } = notesFixture();
    notes.store.add('test:ada', { text: 'Ada decided to move the launch to April.', kind: 'decision', origin: 'model', createdAt: NOW - 3 * DAY });
    const search = memorySearchTool(notes, undefined, 'Europe/Paris');
    const args = { query: 'launch', since: '2026-11-24', until: '2026-11-17', limit: 8 };
    await expect(search.execute(args, toolContext('test:ada'))).rejects.toThrow(/since 2026-11-24 is after until 2026-11-17/);
    // The same range the right way round finds the note.
    const found = await search.execute({ ...args, since: '2026-11-17', until: '2026-11-24' }, toolContext('test:ada'));
    expect(JSON.stringify(found)).toContain('move the launch to April');
    db.close();
  });
});

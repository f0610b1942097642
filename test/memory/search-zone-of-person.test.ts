/**
 * memory_search for a person away from CAIRN_TZ: their "yesterday" is their own zone's, which the
 * model has from current_time with that zone. The dates it gives and the dates it gets back are then
 * on that clock; an abbreviation or an unknown name is refused with what to give instead.
 */
import { describe, expect, it } from 'vitest';
import { memorySearchTool } from '../../src/memory/notes/tools.js';
import { toolContext, useNotesFixtures } from './helpers.js';

const fixture = useNotesFixtures();
const args = (value: Record<string, unknown>) => ({ query: '', limit: 8, ...value });

describe('memory_search with the zone the person is in', () => {
  it('reads since and until on that clock and dates the notes found there', async () => {
    const { notes } = fixture();
    // 08:00 in Tokyo on 10 March is 23:00 on the 9th in Lisbon (and UTC).
    notes.store.add('ada', { text: 'The hotel in Shinjuku is booked until Friday.', kind: 'fact', origin: 'user', createdAt: Date.UTC(2026, 2, 9, 23) });
    const tool = memorySearchTool(notes, undefined, 'Europe/Lisbon');
    const inLisbon = await tool.execute(tool.parameters.parse(args({ since: '2026-03-10', until: '2026-03-10' })), toolContext('ada'));
    expect(inLisbon).toBe('No notes match those filters.');
    const inTokyo = await tool.execute(tool.parameters.parse(args({ since: '2026-03-10', until: '2026-03-10', timeZone: 'Asia/Tokyo' })), toolContext('ada'));
    expect(JSON.stringify(inTokyo)).toContain('"created_at":"2026-03-10T08:00:00.000+09:00"');
  });

  it('refuses an abbreviation and a name it does not know, saying what to give', async () => {
    const { notes } = fixture();
    notes.store.add('ada', { text: 'Ada flies to Tokyo.', kind: 'fact', origin: 'user', createdAt: Date.UTC(2026, 2, 9, 23) });
    const tool = memorySearchTool(notes, undefined, 'Europe/Lisbon');
    await expect(tool.execute(tool.parameters.parse(args({ since: '2026-03-10', timeZone: 'JST' })), toolContext('ada'))).rejects.toThrow(/Region\/City/);
    await expect(tool.execute(tool.parameters.parse(args({ since: '2026-03-10', timeZone: 'Tokyo' })), toolContext('ada'))).rejects.toThrow('Use an IANA name such as Asia/Tokyo, or give since and until with their offset');
  });
});

describe('memory_search for a period whose notes hold none of the words', () => {
  it('lists the notes of that period, saying none held the words', async () => {
    const { notes } = fixture();
    notes.store.add('ada', { text: 'Chose the blue tiles for the kitchen.', kind: 'decision', origin: 'user', createdAt: Date.UTC(2026, 2, 12, 10) });
    notes.store.add('ada', { text: 'Going with the cheaper movers.', kind: 'decision', origin: 'user', createdAt: Date.UTC(2026, 3, 2, 10) });
    const tool = memorySearchTool(notes, undefined, 'Europe/Lisbon');
    const march = await tool.execute(tool.parameters.parse(args({ query: 'decide', since: '2026-03-01', until: '2026-03-31' })), toolContext('ada'));
    const text = JSON.stringify(march);
    expect(text).toContain('Chose the blue tiles');
    expect(text).not.toContain('movers');
    expect(text).toContain('None of the notes from then hold the words \\"decide\\"');
    // Without a period, words that match nothing still say so.
    expect(await tool.execute(tool.parameters.parse(args({ query: 'decide' })), toolContext('ada'))).toBe('No notes match "decide".');
  });
});

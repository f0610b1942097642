/** Dates in memory with CAIRN_TZ set: "the 5th" is the person's 5th, as the current_time tool and the extraction prompt give it. */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { parseInstant } from '../../src/memory/notes/instant.js';
import { isExtraction } from './helpers.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';
const chatBodies = () => rig.server.chatRequests().filter((body) => !isExtraction(body));
const toolResult = (body: ChatBody | undefined) => String([...(body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === 'tool')?.content ?? '');
const memorySearchDefinition = (body: ChatBody | undefined) => JSON.stringify((body?.tools as { function: { name: string } }[] | undefined)?.find((tool) => tool.function.name === 'memory_search'));

describe('CAIRN_TZ=Asia/Tokyo', () => {
  it('memory_search with since/until a bare date searches that day in CAIRN_TZ, not the UTC day', async () => {
    const cairn = rig.start({ CAIRN_TZ: 'Asia/Tokyo' });
    // Tuesday 5 March, 08:30 in Tokyo (still the 4th in UTC).
    cairn.notes.store.add(ALICE, { text: 'Decided to rename the repository to cairn-core.', kind: 'decision', origin: 'model', createdAt: Date.parse('2026-03-05T08:30:00+09:00') });
    // Wednesday 6 March, 08:30 in Tokyo (still the 5th in UTC).
    cairn.notes.store.add(ALICE, { text: 'Decided to drop Node 18 support.', kind: 'decision', origin: 'model', createdAt: Date.parse('2026-03-06T08:30:00+09:00') });
    // "What did we decide on the 5th?": the model names the day as the person and current_time know it.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'decided', since: '2026-03-05', until: '2026-03-05' } }] }, { text: 'Here it is.' });
    await cairn.gateway.receive(cairn.adapter.message('what did we decide on March 5?'));
    const result = JSON.parse(toolResult(chatBodies().at(-1))) as { notes: { text: string; created_at: string }[] };
    expect(result.notes.map((note) => note.text)).toEqual(['Decided to rename the repository to cairn-core.']);
    // Dated on the same clock, so the model does not call it a note of the 4th.
    expect(result.notes[0]?.created_at).toBe('2026-03-05T08:30:00.000+09:00');
    expect(memorySearchDefinition(chatBodies().at(-1))).toContain('Asia/Tokyo');
  });

  it('/memory dates each note by its day in CAIRN_TZ', async () => {
    const cairn = rig.start({ CAIRN_TZ: 'Asia/Tokyo' });
    const note = cairn.notes.store.add(ALICE, { text: 'Alice moved to Osaka.', kind: 'fact', origin: 'user', createdAt: Date.parse('2026-03-05T08:30:00+09:00') });
    await cairn.gateway.receive(cairn.adapter.message('/memory', { command: { name: 'memory', args: '' } }));
    expect(cairn.adapter.texts().at(-1)).toContain(`[${note.id}] (fact, 2026-03-05) Alice moved to Osaka.`);
    await cairn.gateway.receive(cairn.adapter.message('/memory Osaka', { command: { name: 'memory', args: 'Osaka' } }));
    expect(cairn.adapter.texts().at(-1)).toContain(`[${note.id}] (fact, 2026-03-05) Alice moved to Osaka.`);
  });
});

describe('ISO 8601 instants read in a time zone', () => {
  it('a bare date is that day on the zone\'s clock, through its last millisecond', () => {
    expect(parseInstant('2026-03-05', 'start', 'Asia/Tokyo')).toBe(Date.parse('2026-03-05T00:00:00+09:00'));
    expect(parseInstant('2026-03-05', 'end', 'Asia/Tokyo')).toBe(Date.parse('2026-03-06T00:00:00+09:00') - 1);
    expect(parseInstant('2026-03-05T12:30', 'start', 'America/New_York')).toBe(Date.parse('2026-03-05T12:30:00-05:00'));
  });

  it('a day when the clocks change is 23 or 25 hours long, and a skipped midnight starts the day after the gap', () => {
    // Paris springs forward on 29 March 2026 and falls back on 25 October.
    expect(parseInstant('2026-03-29', 'end', 'Europe/Paris')! - parseInstant('2026-03-29', 'start', 'Europe/Paris')!).toBe(23 * 3_600_000 - 1);
    expect(parseInstant('2026-10-25', 'end', 'Europe/Paris')! - parseInstant('2026-10-25', 'start', 'Europe/Paris')!).toBe(25 * 3_600_000 - 1);
    // A time in the gap is read as past it, as the scheduler reads it.
    expect(parseInstant('2026-03-29T02:30', 'start', 'Europe/Paris')).toBe(Date.parse('2026-03-29T03:30:00+02:00'));
    // Santiago's clocks go from 00:00 to 01:00 on 6 September 2026: that day starts at 01:00.
    expect(parseInstant('2026-09-06', 'start', 'America/Santiago')).toBe(Date.parse('2026-09-06T01:00:00-03:00'));
  });

  it('an offset or Z given wins over the zone, and without a zone a date is UTC\'s (imports)', () => {
    expect(parseInstant('2026-03-05T08:30:00Z', 'start', 'Asia/Tokyo')).toBe(Date.UTC(2026, 2, 5, 8, 30));
    expect(parseInstant('2026-03-05T08:30:00+02:00', 'end', 'Asia/Tokyo')).toBe(Date.UTC(2026, 2, 5, 6, 30));
    expect(parseInstant('2026-03-05', 'end')).toBe(Date.UTC(2026, 2, 6) - 1);
  });
});

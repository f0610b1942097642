/**
 * The day a session started, as the prompt gives it, is CAIRN_TZ's: the zone of current_time,
 * memory_search and the notes recalled. After midnight in Lisbon's summer it is still the day
 * before in UTC, and "notes from yesterday" went to the day before yesterday.
 */
import { describe, expect, it } from 'vitest';
import { buildPrefix, type PrefixContext } from '../../src/core/prompt.js';

const context = (startedAt: number): PrefixContext => ({ userId: 'telegram:7', userName: 'Ana', conversationId: 'telegram:7', platform: 'telegram', isDirect: true, firstMessage: 'hi', startedAt });

describe('the session start in the prompt', () => {
  it("is the day in CAIRN_TZ, named with it", () => {
    // 00:30 on 15 July in Lisbon (UTC+1) is 23:30 on the 14th in UTC.
    const prefix = buildPrefix({ name: 'Cairn', instructions: undefined, timeZone: 'Europe/Lisbon' }, [], context(Date.UTC(2026, 6, 14, 23, 30)));
    expect(prefix).toContain('This session started on 2026-07-15 (Europe/Lisbon).');
  });

  it('stays the UTC day without a zone', () => {
    const prefix = buildPrefix({ name: 'Cairn', instructions: undefined }, [], context(Date.UTC(2026, 6, 14, 23, 30)));
    expect(prefix).toContain('This session started on 2026-07-14 (UTC).');
  });
});

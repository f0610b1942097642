import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { statusText } from '../../src/core/status-command.js';

describe('/status', () => {
  it('names each platform with what is wrong, and what waits for an admin', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 12));
    const startedAt = clock.now();
    clock.advance((26 * 60 + 5) * 60_000);
    const text = statusText({
      clock,
      startedAt,
      model: 'gpt-4o-mini',
      platforms: () => [
        { platform: 'telegram', health: { ok: false, problem: 'Long polling stopped: Telegram refused the bot token.' } },
        { platform: 'slack', health: { ok: true, problem: 'reconnecting' } },
        { platform: 'discord', health: { ok: true } },
      ],
      runningTurns: () => 0,
      pendingApprovals: () => 0,
      pendingProposals: () => 2,
    });
    expect(text.split('\n')).toEqual([
      'Cairn is up 1 d 2 h (since 2026-12-01 12:00 UTC), on gpt-4o-mini.',
      'Platforms: telegram (down: Long polling stopped: Telegram refused the bot token.), slack (reconnecting), discord ok.',
      'Turns running now: 0.',
      'Waiting for an admin: 2 skill changes to review (/proposals).',
      '/usage shows the tokens and cost of today.',
    ]);
  });

  it('says how many turns wait for room under CAIRN_MAX_TURNS_AT_ONCE, only while some do', () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 12));
    const sources = { clock, startedAt: clock.now(), model: 'm', platforms: () => [], pendingApprovals: () => 0, pendingProposals: () => 0 };
    const turnsLine = (running: number, waiting: number) => statusText({ ...sources, runningTurns: () => running, turnsWaitingForRoom: () => ({ waiting, limit: 16 }) }).split('\n')[2];
    expect(turnsLine(16, 1)).toBe('Turns running now: 16; 1 more waits for room (at most 16 run at once: CAIRN_MAX_TURNS_AT_ONCE).');
    expect(turnsLine(16, 4)).toBe('Turns running now: 16; 4 more wait for room (at most 16 run at once: CAIRN_MAX_TURNS_AT_ONCE).');
    expect(turnsLine(3, 0)).toBe('Turns running now: 3.');
  });
});

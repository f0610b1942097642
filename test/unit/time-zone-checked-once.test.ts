/**
 * current_time checks its zone for a short name (shortZoneProblem) on every call; the check built two
 * Intl formatters each time (~0.3 ms, a tenth of a batch task's CPU). It is worked out once per name,
 * with the same answers as before.
 */
import { afterEach, expect, it } from 'vitest';
import { shortZoneProblem } from '../../src/config/time-zone.js';
import { currentTimeTool } from '../../src/tools/clock-tool.js';

const realDateTimeFormat = Intl.DateTimeFormat;
afterEach(() => {
  Intl.DateTimeFormat = realDateTimeFormat;
});

const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 12) };

it('gives the same answer for a zone every time, building its formatters once', async () => {
  const answers = (zone: string) => [shortZoneProblem(zone), shortZoneProblem(zone)];
  const [cst, cstAgain] = answers('CST');
  expect(cst).toMatch(/"CST" is no Region\/City name/);
  expect(cstAgain).toBe(cst);
  expect(answers('UTC')).toEqual([undefined, undefined]);
  expect(answers('GMT')).toEqual([undefined, undefined]);
  expect(answers('Europe/Paris')).toEqual([undefined, undefined]);
  // Unknown: no problem of this kind (the caller says the zone is unknown).
  expect(answers('Mars')).toEqual([undefined, undefined]);

  await currentTimeTool.execute({}, context); // its formatter for UTC, kept from then on
  let built = 0;
  Intl.DateTimeFormat = new Proxy(realDateTimeFormat, { construct: (target, args) => (built++, Reflect.construct(target, args)) });
  for (let i = 0; i < 5; i++) {
    expect(shortZoneProblem('UTC')).toBeUndefined();
    expect(shortZoneProblem('CST')).toBe(cst);
    await currentTimeTool.execute({}, context);
  }
  expect(built).toBe(0);
  // current_time still refuses the short name, and tells the time in UTC.
  await expect(Promise.resolve().then(() => currentTimeTool.execute({ timeZone: 'CST' }, context))).rejects.toThrow(/"CST" is no Region\/City name/);
  expect(await currentTimeTool.execute({}, context)).toMatchObject({ iso: '2026-11-24T12:00:00.000Z', timeZone: 'UTC' });
});

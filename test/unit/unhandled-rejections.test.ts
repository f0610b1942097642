import { afterEach, beforeEach, expect, it } from 'vitest';
import { logUnhandledRejections } from '../../src/cli/signals.js';

// The test runner hears unhandled rejections too (and fails the run on them): set aside meanwhile.
let runners: NodeJS.UnhandledRejectionListener[] = [];
beforeEach(() => {
  runners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
});
afterEach(() => {
  process.removeAllListeners('unhandledRejection');
  for (const listener of runners) process.on('unhandledRejection', listener);
});

it('logs a rejection nobody handled instead of letting it end the bot, until removed', () => {
  const logged: { obj: unknown; msg: string }[] = [];
  const remove = logUnhandledRejections({ error: (obj: unknown, msg?: string) => void logged.push({ obj, msg: msg ?? '' }) } as never);
  const reason = new TypeError("Cannot read properties of undefined (reading 'type')");
  expect(process.emit('unhandledRejection', reason, Promise.resolve())).toBe(true);
  expect(logged).toHaveLength(1);
  expect(logged[0]?.msg).toContain('unhandled promise rejection');
  expect(JSON.stringify(logged[0]?.obj)).toContain("reading 'type'");
  remove();
  expect(process.listenerCount('unhandledRejection')).toBe(0);
});

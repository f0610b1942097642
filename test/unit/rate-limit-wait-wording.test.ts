/** A provider that asked for a long wait is not said to be back "in a minute" (people tried again, and again). */
import { expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { userFacingError } from '../../src/core/user-errors.js';

const limited = (retryAfterMs?: number) => new CairnError('rate_limit', 'custom is rate-limited', { isRetryable: true, status: 429, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

it('says how long the provider asked to wait, in minutes, when that is longer than a minute and a half', () => {
  expect(userFacingError(limited(540_000))).toBe('The model provider is rate-limiting me right now. Please try again in about 9 minutes.');
  expect(userFacingError(limited(100_000))).toBe('The model provider is rate-limiting me right now. Please try again in about 2 minutes.');
});

it('keeps "in a minute" for a short or unknown wait', () => {
  expect(userFacingError(limited(20_000))).toBe('The model provider is rate-limiting me right now. Please try again in a minute.');
  expect(userFacingError(limited())).toBe('The model provider is rate-limiting me right now. Please try again in a minute.');
});

import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { mapModelError, parseRetryAfter, statusError } from '../../src/model/map-error.js';
import { retryDelayMs } from '../../src/model/retry.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads milliseconds, seconds and HTTP dates', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), NOW)).toBe(1500);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), NOW)).toBe(500);
    expect(parseRetryAfter(new Headers({ 'retry-after': new Date(NOW + 30_000).toUTCString() }), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': new Date(NOW - 30_000).toUTCString() }), NOW)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), NOW)).toBeUndefined();
  });
});

describe('statusError', () => {
  it.each([
    [429, 'rate_limit', true],
    [408, 'unavailable', true],
    [409, 'unavailable', true],
    [500, 'unavailable', true],
    [529, 'unavailable', true],
    [401, 'auth', false],
    [403, 'permission', false],
    [404, 'not_found', false],
    [400, 'bad_request', false],
    [422, 'bad_request', false],
  ])('maps %i to %s', (status, code, retryable) => {
    const error = statusError(status, new Headers(), 'm', { platform: 'openrouter' });
    expect(error).toMatchObject({ code, isRetryable: retryable, status, platform: 'openrouter' });
  });

  it('maps a 400 that says the model is unknown to not_found, so the user is sent to /model and not to /new', () => {
    const unknown = [
      'openrouter answered 400 anthropic/claude-sonet-4.5 is not a valid model ID',
      'custom answered 400 The model `gpt-5-mini` does not exist or you do not have access to it.',
      'gemini answered 400 models/gemini-9-pro is not found for API version v1beta',
      'mistral answered 400 Invalid model: mistral-larg',
    ];
    for (const message of unknown) expect(statusError(400, undefined, message, { platform: 'p' }).code).toBe('not_found');
    // Other 400s stay bad requests (refused-fields.ts learns from those).
    const other = ['custom answered 400 max_tokens is not supported with this model. Use max_completion_tokens instead.', "custom answered 400 This model's maximum context length is 8192 tokens."];
    for (const message of other) expect(statusError(400, undefined, message, { platform: 'p' }).code).toBe('bad_request');
  });

  it('keeps the wait a 503 asked for', () => {
    expect(statusError(503, new Headers({ 'retry-after': '3' }), 'm', { platform: 'p' }).retryAfterMs).toBe(3000);
  });
});

describe('mapModelError', () => {
  const context = { provider: 'nous' };
  it('maps connection failures, timeouts and cancellations', () => {
    expect(mapModelError(new APIConnectionTimeoutError(), context)).toMatchObject({ code: 'timeout', isRetryable: true, platform: 'nous' });
    expect(mapModelError(new APIConnectionError({ message: 'refused' }), context)).toMatchObject({ code: 'network', isRetryable: true });
    expect(mapModelError(new APIUserAbortError(), { ...context, timedOut: true })).toMatchObject({ code: 'timeout' });
    expect(mapModelError(new APIUserAbortError(), { ...context, signal: AbortSignal.abort() })).toMatchObject({ code: 'aborted', isRetryable: false });
    expect(mapModelError(new SyntaxError('Unexpected token'), context)).toMatchObject({ code: 'invalid_model_output', isRetryable: true });
  });

  it('says why the connection failed, from the error underneath openai\'s', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const mapped = mapModelError(new APIConnectionError({ cause: new TypeError('fetch failed', { cause: refused }) }), context);
    expect(mapped.message).toBe('nous could not be reached (connect ECONNREFUSED 127.0.0.1:9)');
    expect(mapModelError(new APIConnectionError({}), context).message).toBe('nous could not be reached (Connection error)');
  });

  it('lets a caller cancellation win over any other failure', () => {
    const error = new CairnError('unavailable', 'x', { isRetryable: true });
    expect(mapModelError(error, { ...context, signal: AbortSignal.abort() }).code).toBe('aborted');
    expect(mapModelError(error, context)).toBe(error);
  });

  it('maps anything else to a non-retryable internal error', () => {
    expect(mapModelError(new RangeError('bug'), context)).toMatchObject({ code: 'internal', isRetryable: false });
  });
});

describe('retryDelayMs', () => {
  const policy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  const retryable = new CairnError('unavailable', 'x', { isRetryable: true });
  it('stops after maxRetries and on non-retryable errors', () => {
    expect(retryDelayMs(retryable, 0, policy, () => 1, false)).toBe(100);
    expect(retryDelayMs(retryable, 1, policy, () => 1, false)).toBe(200);
    expect(retryDelayMs(retryable, 2, policy, () => 1, false)).toBeUndefined();
    expect(retryDelayMs(new CairnError('auth', 'x'), 0, policy, () => 1, false)).toBeUndefined();
  });

  it('retries invalid model output only once', () => {
    const invalid = new CairnError('invalid_model_output', 'x', { isRetryable: true });
    expect(retryDelayMs(invalid, 0, policy, () => 0, false)).toBe(0);
    expect(retryDelayMs(invalid, 1, policy, () => 0, true)).toBeUndefined();
  });
});

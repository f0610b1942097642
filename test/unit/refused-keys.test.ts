/** Which model endpoints refuse Cairn's key, for /healthz (src/model/refused-keys.ts). */
import { describe, expect, it } from 'vitest';
import { RefusedKeys } from '../../src/model/refused-keys.js';
import type { CallRecord, ModelPurpose } from '../../src/model/types.js';

const call = (provider: string, model: string, result: 'ok' | string, purpose: ModelPurpose = 'chat'): CallRecord => ({
  provider,
  model,
  purpose,
  usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 },
  costUsd: undefined,
  durationMs: 1,
  ok: result === 'ok',
  errorCode: result === 'ok' ? undefined : result,
  sessionId: undefined,
  attempt: 1,
});

describe('RefusedKeys', () => {
  it('is not ok while the newest chat call was refused, and well again once a call there goes through', () => {
    const keys = new RefusedKeys();
    keys.record(call('openai', 'gpt-4o', 'ok'));
    expect(keys.health()).toEqual({ ok: true });
    keys.record(call('openai', 'gpt-4o', 'auth'));
    expect(keys.health()).toEqual({ ok: false, problem: expect.stringMatching(/refused the API key \(401\) for gpt-4o at openai: set the new key/) });
    // A passing failure (a 500) says nothing new about the key.
    keys.record(call('openai', 'gpt-4o', 'unavailable'));
    expect(keys.health().ok).toBe(false);
    keys.record(call('openai', 'gpt-4o', 'ok'));
    expect(keys.health()).toEqual({ ok: true });
  });

  it('names a refused primary while the fallback answers people, without failing the health', () => {
    const keys = new RefusedKeys();
    keys.record(call('openai', 'gpt-4o', 'auth'));
    keys.record(call('custom', 'backup-model', 'ok'));
    expect(keys.health()).toEqual({ ok: true, problem: expect.stringContaining('for gpt-4o at openai:') });
  });

  it('names a key refused for transcription alone by its purpose, while chat goes on', () => {
    const keys = new RefusedKeys();
    keys.record(call('openai', 'gpt-4o', 'ok'));
    keys.record(call('openai', 'whisper-1', 'auth', 'transcription'));
    expect(keys.health()).toEqual({ ok: true, problem: expect.stringContaining('for whisper-1 at openai (transcription):') });
  });
});

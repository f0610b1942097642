/**
 * Random data in text (base64: certificates, Kubernetes secrets, JWTs, API keys) is about 1.4 characters a
 * token in o200k_base and cl100k_base: no word in it is in the vocabulary. Counted as words, it passed for
 * under half its size, and a request that held some went past the model's context.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { estimateTokens } from '../../src/memory/tokens.js';

/** Pseudo-random bytes, the same every run. */
function bytes(count: number, seed: number): Buffer {
  const out = Buffer.alloc(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    out[i] = state >>> 23;
  }
  return out;
}

const pem = `-----BEGIN CERTIFICATE-----\n${(bytes(1_200, 7).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----`;
const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: backup\ndata:\n  archive.tar.gz: ${bytes(15_000, 11).toString('base64')}\n`;
const jwt = `Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${bytes(120, 3).toString('base64url')}.${bytes(32, 5).toString('base64url')}`;

describe('the token estimate of random data', () => {
  // Counted with o200k_base and cl100k_base (gpt-tokenizer 4.0.0): pem 1,127 and 1,181; secret 13,713 and 14,463; jwt 162 and 176.
  it.each([
    ['a PEM certificate', pem, 1_127, 1_181],
    ['a Kubernetes secret', secret, 13_713, 14_463],
    ['a bearer token', jwt, 162, 176],
  ])('is about what tokenizers make of %s', (_what, text, o200k, cl100k) => {
    expect(estimateTokens(text)).toBeGreaterThanOrEqual(Math.floor(0.9 * o200k));
    expect(estimateTokens(text)).toBeLessThanOrEqual(Math.ceil(1.15 * cl100k));
  });
});

const rig = useFakeModelRig();

/** What a tokenizer makes of text at the least: its pre-tokenizer pieces, and random base64 at 1.45 characters a token. */
function modelTokens(text: string): number {
  let tokens = 0;
  const rest = text.replace(/[A-Za-z0-9+/]{16,}/g, (run) => {
    tokens += Math.ceil(run.length / 1.45);
    return ' ';
  });
  const pieces = /'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
  return tokens + (rest.match(pieces) ?? []).length;
}

describe('a tool result of base64 in a small context', () => {
  it('is cut to fit the context as the model counts it, so the turn is answered', async () => {
    const context = 8_192;
    const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_MAX_RETRIES: '0', CAIRN_CONTEXT_TOKENS: String(context) });
    cairn.tools.register({ name: 'get_secret', description: 'prints a Kubernetes secret', parameters: z.object({}), execute: () => secret });
    // As a llama.cpp or vLLM server with an 8k context does: a prompt past it is refused.
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      const messages = body.messages as { role: string; content: string | null }[];
      const tokens = messages.reduce((sum, m) => sum + modelTokens(m.content ?? ''), 0);
      if (tokens > context) return { error: { status: 400, body: { error: { message: `This model's maximum context length is ${context} tokens. However, you requested ${tokens} tokens.`, type: 'invalid_request_error', code: 'context_length_exceeded' } } } };
      return messages.some((m) => m.role === 'tool') ? { text: 'The secret holds one archive, archive.tar.gz.' } : { toolCalls: [{ name: 'get_secret', arguments: {} }] };
    });

    await cairn.gateway.receive(cairn.adapter.message('what is in the backup secret?'));

    expect(cairn.adapter.texts()).toEqual(['The secret holds one archive, archive.tar.gz.']);
  });
});

/**
 * What the policy server's /tokenize says when it refuses a conversation reaches the operator:
 * vLLM answers 400 with the chat template's own error (`raise_exception`), or 404 for a model it
 * does not serve; only an answer without a reason (FastAPI's bare 404 for a missing route)
 * points at the tokenize URL.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerTokenizer } from '../../src/rl/atropos/tokenize.js';
import { sampleTrajectory } from './helpers.js';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));
});

async function tokenizeAnswering(status: number, body: unknown): Promise<string> {
  const s = createServer((req, res) => void req.resume().on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))));
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/tokenize`;
}

const trajectory = sampleTrajectory();
const tokenize = (url: string) => new ServerTokenizer({ url, model: 'policy', sleep: async () => {} }).tokenize(trajectory.messages, { addGenerationPrompt: false, tools: trajectory.tools });
const templateError = 'Tool call IDs should be alphanumeric strings with length 9!';

describe('ServerTokenizer errors', () => {
  it.each([
    ['older vLLM', { object: 'error', message: templateError, type: 'BadRequestError', param: null, code: 400 }],
    ['newer vLLM', { error: { message: templateError, type: 'BadRequestError', param: null, code: 400 } }],
  ])('a chat template refusing the conversation (%s, 400) is reported with its reason, not as a wrong URL', async (_, body) => {
    const error = (await tokenize(await tokenizeAnswering(400, body)).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`answered 400: ${templateError}`);
    expect(error.message).not.toContain('Set CAIRN_TOKENIZE_URL');
  });

  it('a model the server does not serve (404 with a message) is named as such', async () => {
    const url = await tokenizeAnswering(404, { error: { message: 'The model `policy` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
    await expect(tokenize(url)).rejects.toThrow(/answered 404: The model `policy` does not exist\./);
  });

  it('a route that does not exist still says which setting to fix', async () => {
    await expect(tokenize(await tokenizeAnswering(404, { detail: 'Not Found' }))).rejects.toThrow(/answered 404\. Set CAIRN_TOKENIZE_URL/);
  });
});

/**
 * A provider account out of credit: OpenRouter and DeepSeek answer 402, OpenAI 429 with the code
 * `insufficient_quota`. Waiting mends neither: the 402 read as a bad request told the user to
 * start a fresh conversation (/new), the 429 was retried three times and then read as
 * "rate-limiting me, try again in a minute". Now the operator is told the account needs credit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { userFacingError } from '../../src/core/user-errors.js';
import { providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
let backup: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
  backup = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
  await backup.close();
});

const openRouter402 = { error: { status: 402, body: { error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/settings/credits' } } } };
const deepSeek402 = { error: { status: 402, body: { error: { message: 'Insufficient Balance', type: 'unknown_error', param: null, code: 'invalid_request_error' } } } };
const openAIQuota = { error: { status: 429, body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } } };

describe('an account out of credit', () => {
  for (const [name, reply] of [
    ['OpenRouter 402', openRouter402],
    ['DeepSeek 402', deepSeek402],
    ['OpenAI 429 insufficient_quota', openAIQuota],
  ] as const) {
    it(`${name}: not retried, said as the operator's to mend, not /new or "in a minute"`, async () => {
      const { client, sleeps } = testClient([providerAt(server.url)]);
      server.enqueue(reply, reply, reply, reply);
      const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] }));
      expect(server.chatRequests()).toHaveLength(1);
      expect(sleeps).toEqual([]);
      expect(error.isRetryable).toBe(false);
      expect(error.code).toBe('quota');
      const told = userFacingError(error);
      expect(told).not.toContain('/new');
      expect(told).not.toContain('minute');
      expect(told).toContain('out of credit or quota');
    });
  }

  it('goes to the fallback at once', async () => {
    const { client, sleeps } = testClient([providerAt(server.url), providerAt(backup.url, { model: 'backup-model' })]);
    server.enqueue(openAIQuota);
    backup.enqueue({ text: 'From the backup.' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('From the backup.');
    expect(sleeps).toEqual([]);
  });
});

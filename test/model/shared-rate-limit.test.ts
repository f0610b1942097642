/**
 * A provider's 429 with Retry-After holds every call to it, not only the one that was refused: on a launch
 * morning hundreds of turns call the model at once, and each new one that went ahead anyway was refused
 * again (and counted against the limit), so the wait the provider asked for never came.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

/** Sleeps the test ends by hand (after moving the clock). */
function heldSleeps() {
  const held: { ms: number; wake: () => void }[] = [];
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      held.push({ ms, wake: resolve });
    });
  return { held, sleep };
}

it('a call made while the provider asked to wait waits out the rest of that wait instead of asking (and being refused) again', async () => {
  const clock = { now: 1_000_000 };
  const { held, sleep } = heldSleeps();
  const { client } = testClient([providerAt(server.url)], { sleep, now: () => clock.now });
  server.enqueue({ error: { status: 429, headers: { 'retry-after': '20' } } }, { text: 'first' }, { text: 'second' });

  const first = client.complete(ask);
  await vi.waitFor(() => expect(held).toHaveLength(1));
  expect(held[0]?.ms).toBe(20_000);

  // Five seconds into that wait another person's turn calls the model.
  clock.now += 5_000;
  const second = client.complete(ask);
  await vi.waitFor(() => expect(held.length + server.chatRequests().length).toBeGreaterThan(2));
  expect(server.chatRequests()).toHaveLength(1);
  expect(held[1]?.ms).toBe(15_000);

  clock.now += 15_000;
  for (const each of held) each.wake();
  expect([(await first).text, (await second).text].sort()).toEqual(['first', 'second']);
});

it('a wait longer than the client takes is not waited: the call fails at once, as the refused call did, without asking', async () => {
  const clock = { now: 1_000_000 };
  const { client } = testClient([providerAt(server.url)], { now: () => clock.now, retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 } });
  server.enqueue({ error: { status: 429, headers: { 'retry-after': '600' } } });
  expect(await rejectionOf(client.complete(ask))).toMatchObject({ code: 'rate_limit' });

  clock.now += 60_000;
  const error = await rejectionOf(client.complete(ask));
  expect(error).toMatchObject({ code: 'rate_limit', isRetryable: true });
  expect(error.message).toMatch(/9 minutes|540 s/);
  expect(server.chatRequests()).toHaveLength(1);

  // Once the wait is over, calls go through again.
  clock.now += 540_000;
  expect((await client.complete(ask)).text).toBe('echo: hi');
});

/**
 * A provider that failed a whole call rests a minute (or its longer Retry-After): calls start at the
 * next one meanwhile, so an outage of the primary no longer makes every message wait out its retries
 * (five two-minute timeouts, or four Retry-After waits) before the fallback answers. A resting provider
 * is still tried when the others fail, and once its rest is over it gets one attempt first again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from './harness.js';

let primary: FakeModelServer;
let backup: FakeModelServer;
let now = 0;
beforeEach(async () => {
  primary = await startFakeModelServer();
  backup = await startFakeModelServer({ defaultReply: () => ({ text: 'from the backup' }) });
  now = Date.UTC(2026, 10, 24, 9);
});
afterEach(async () => {
  await primary.close();
  await backup.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };
const chain = () => testClient([providerAt(primary.url, { model: 'main-model' }), providerAt(backup.url, { model: 'backup-model' })], { now: () => now });

describe('a failed provider rests', () => {
  it('is passed over for a minute, then tried once first again, and back in front once it answers', async () => {
    const { client, sleeps, logs } = chain();
    primary.setDefault(() => ({ error: { status: 503 } }));
    expect((await client.complete(ask)).text).toBe('from the backup');
    expect(primary.chatRequests()).toHaveLength(4);
    expect(logs.find((line) => line.level === 'warn')?.obj).toMatchObject({ fromModel: 'main-model', toModel: 'backup-model', restMs: 60_000 });

    now += 59_000;
    const slept = sleeps.length;
    expect((await client.complete(ask)).text).toBe('from the backup');
    expect(primary.chatRequests()).toHaveLength(4);
    expect(sleeps.length).toBe(slept);

    // Its rest over and still failing: one attempt, no waits, and the backup answers.
    now += 2_000;
    expect((await client.complete(ask)).text).toBe('from the backup');
    expect(primary.chatRequests()).toHaveLength(5);
    expect(sleeps.length).toBe(slept);

    now += 61_000;
    primary.setDefault(() => ({ text: 'from the primary' }));
    expect((await client.complete(ask)).text).toBe('from the primary');
    expect((await client.complete(ask)).text).toBe('from the primary');
    expect(backup.chatRequests()).toHaveLength(3);
  });

  it('rests as long as a longer Retry-After asks', async () => {
    const { client } = chain();
    primary.setDefault(() => ({ error: { status: 429, headers: { 'retry-after': '300' } } }));
    await client.complete(ask);
    const asked = primary.chatRequests().length;
    now += 200_000;
    await client.complete(ask);
    expect(primary.chatRequests()).toHaveLength(asked);
    now += 101_000;
    await client.complete(ask);
    expect(primary.chatRequests()).toHaveLength(asked + 1);
  });

  it('is still tried, with its retries, when the others fail too', async () => {
    const { client } = chain();
    primary.setDefault(() => ({ error: { status: 503 } }));
    await client.complete(ask);
    backup.setDefault(() => ({ error: { status: 401 } }));
    primary.setDefault(() => ({ text: 'from the primary' }));
    expect((await client.complete(ask)).text).toBe('from the primary');
  });

  it('does not rest for a failure that is the request’s (a prompt too long), nor when it is the only provider', async () => {
    const { client } = chain();
    primary.enqueue({ error: { status: 400 } });
    await client.complete(ask);
    primary.enqueue({ text: 'from the primary' });
    expect((await client.complete(ask)).text).toBe('from the primary');

    const alone = testClient([providerAt(primary.url)], { now: () => now }).client;
    primary.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
    expect((await rejectionOf(alone.complete(ask))).code).toBe('unavailable');
    primary.enqueue({ error: { status: 503 } }, { text: 'retried as before' });
    expect((await alone.complete(ask)).text).toBe('retried as before');
  });
});

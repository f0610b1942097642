/**
 * Every Bot API call has a time limit, getUpdates too: its own long-poll wait plus the usual
 * limit. Unlimited, grammY's 500 s applied: a connection that died silently under a long poll
 * left the bot deaf for minutes, and shutdown's confirming getUpdates (timeout 0) held the exit.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { limitCallTime } from '../../adapters/telegram/call-timeout.js';

/** A call that never answers: it ends only when its signal aborts. */
function unanswered(seen: AbortSignal[]) {
  return ((_method: string, _payload: unknown, signal?: AbortSignal) => {
    if (signal) seen.push(signal);
    return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error)));
  }) as unknown as Parameters<ReturnType<typeof limitCallTime>>[0];
}

describe('the Bot API call limit', () => {
  it('ends a getUpdates that gets no answer (shutdown confirms the offset with timeout 0)', async () => {
    const seen: AbortSignal[] = [];
    await expect(limitCallTime(20)(unanswered(seen), 'getUpdates', { offset: 5, limit: 1, timeout: 0 } as never, undefined)).rejects.toBeDefined();
    expect(seen[0]?.aborted).toBe(true);
  });

  it('ends any other call that gets no answer', async () => {
    const seen: AbortSignal[] = [];
    await expect(limitCallTime(20)(unanswered(seen), 'sendMessage', { chat_id: 1, text: 'hi' } as never, undefined)).rejects.toBeDefined();
    expect(seen[0]?.aborted).toBe(true);
  });

  it("ends a long poll grammY can stop too, with the garbage collector running (AbortSignal.any let go of the timeout's timer)", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collector = setInterval(gc, 5);
    try {
      const seen: AbortSignal[] = [];
      const grammy = new AbortController();
      await expect(limitCallTime(40)(unanswered(seen), 'getUpdates', { offset: 5, timeout: 0 } as never, grammy.signal as never)).rejects.toBeDefined();
      expect(seen[0]?.aborted).toBe(true);
    } finally {
      clearInterval(collector);
    }
  }, 5_000);

  it('ends a long poll on a connection the machine slept on, within seconds of waking, not at its 150 s limit', async () => {
    const seen: AbortSignal[] = [];
    let wallClock = Date.UTC(2026, 10, 23, 18);
    const checks: (() => void)[] = [];
    const wake = { now: () => wallClock, timer: (_ms: number, fire: () => void) => (checks.push(fire), () => {}) };
    const grammy = new AbortController();
    const poll = limitCallTime(120_000, wake)(unanswered(seen), 'getUpdates', { offset: 5, timeout: 30 } as never, grammy.signal as never).then(
      () => 'answered',
      (error: unknown) => error,
    );
    const settled = () => Promise.race([poll, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 50))]);
    // Awake: five seconds pass, the poll waits on.
    wallClock += 5_000;
    checks.shift()?.();
    expect(await settled()).toBe('still waiting');
    // The lid closes for 15 hours; on waking the next check sees the jump and ends the poll.
    wallClock += 15 * 3_600_000 + 5_000;
    checks.shift()?.();
    const error = await settled();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(String((error as Error).message)).toMatch(/the clock jumped 54005 s ahead \(the machine slept\)/);
    expect(seen[0]?.aborted).toBe(true);
    // grammY's own signal was not aborted: watchPolling counts it as a failed poll, and grammY polls again.
    expect(grammy.signal.aborted).toBe(false);
  });
});

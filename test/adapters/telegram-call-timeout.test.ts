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
});

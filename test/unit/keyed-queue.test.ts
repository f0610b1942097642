import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/core/keyed-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedQueue', () => {
  it('serializes within a key and runs keys in parallel', async () => {
    const queue = new KeyedQueue();
    const events: string[] = [];
    const gateA = deferred();
    const a1 = queue.run('a', async () => {
      events.push('a1 start');
      await gateA.promise;
      events.push('a1 end');
    });
    const a2 = queue.run('a', async () => {
      events.push('a2 start');
    });
    const b1 = queue.run('b', async () => {
      events.push('b1 start');
    });
    await b1;
    expect(events).toEqual(['a1 start', 'b1 start']);
    gateA.resolve();
    await Promise.all([a1, a2]);
    expect(events).toEqual(['a1 start', 'b1 start', 'a1 end', 'a2 start']);
    await queue.idle();
    expect(queue.activeKeys).toBe(0);
  });

  it('keeps going after a task fails', async () => {
    const queue = new KeyedQueue();
    await expect(queue.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run('k', async () => 42)).resolves.toBe(42);
  });
  it('counts what waits behind a running task, per key and in all, until each starts', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const first = queue.run('a', () => gate.promise);
    const rest = [queue.run('a', async () => {}), queue.run('a', async () => {}), queue.run('b', async () => {})];
    await Promise.resolve();
    expect(queue.ahead('a')).toBe(3);
    expect(queue.waiting('a')).toBe(2);
    // b's task started at once (nothing ahead of it); a's two wait.
    await rest[2];
    expect(queue.waitingTotal).toBe(2);
    gate.resolve();
    await Promise.all([first, ...rest]);
    expect([queue.ahead('a'), queue.waiting('a'), queue.waitingTotal]).toEqual([0, 0, 0]);
  });

  it('a task that throws at once still frees its place', async () => {
    const queue = new KeyedQueue();
    await expect(queue.run('a', () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect([queue.ahead('a'), queue.busy('a')]).toEqual([0, false]);
  });
});

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
});

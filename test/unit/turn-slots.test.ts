import { describe, expect, it } from 'vitest';
import { TurnSlots } from '../../src/core/turn-slots.js';

const turnOfLoop = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnSlots', () => {
  it('lets the first `limit` in at once and the rest in the order they came, one per release', async () => {
    const slots = new TurnSlots(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    for (let n = 0; n < 5; n++) void slots.take(new AbortController().signal).then((release) => (started.push(n), releases.push(release)));
    await turnOfLoop();
    expect(started).toEqual([0, 1]);
    expect([slots.running, slots.waiting]).toEqual([2, 3]);
    releases[0]!();
    releases[0]!(); // a second call of the same release frees nothing more
    await turnOfLoop();
    expect(started).toEqual([0, 1, 2]);
    expect([slots.running, slots.waiting]).toEqual([2, 2]);
  });

  it('a wait stopped (/stop, the shutdown deadline) leaves the line and rejects with why; 0 is no cap', async () => {
    const slots = new TurnSlots(1);
    await slots.take(new AbortController().signal);
    const stop = new AbortController();
    const waiting = slots.take(stop.signal);
    expect(slots.waiting).toBe(1);
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(slots.waiting).toBe(0);
    const open = new TurnSlots(0);
    for (let n = 0; n < 100; n++) await open.take(new AbortController().signal);
    expect(open.full()).toBe(false);
  });
});

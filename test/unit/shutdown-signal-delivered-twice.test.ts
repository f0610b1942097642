/**
 * `npm start` / `npx cairn start` forward the SIGINT or SIGTERM they get to Cairn, and a signal sent to the whole
 * process group (Ctrl-C in a terminal, systemd's default KillMode=control-group) reaches Cairn itself too: the one
 * stop arrives twice within a millisecond. It must not count as the "second signal" that exits at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onShutdownSignal } from '../../src/cli/signals.js';

let remove: (() => void) | undefined;
afterEach(() => {
  remove?.();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function rig() {
  const exits: number[] = [];
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => void exits.push(code ?? 0)) as typeof process.exit);
  let finish!: () => void;
  const shutdown = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
  remove = onShutdownSignal(shutdown, { cleanExitCode: 0 });
  return { exits, shutdown, finish: () => finish() };
}

describe('a stop signal delivered twice at once', () => {
  it('runs the clean shutdown once and exits 0, not 143 at once', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { exits, shutdown, finish } = rig();
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([]);
    finish();
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('still exits at once on a second Ctrl-C pressed later', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { exits } = rig();
    process.emit('SIGINT', 'SIGINT');
    vi.advanceTimersByTime(2_000);
    process.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
  });
});

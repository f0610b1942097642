import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface ShutdownSignalOptions {
  /**
   * The exit code after the shutdown finished cleanly. A long-running service exits 0 (systemd
   * and Docker read 143 as a failed stop); an interrupted command keeps 128 + the signal.
   */
  cleanExitCode?: number;
}

/**
 * The same signal again within this time is the first one delivered twice, not a second request: `npm start` and
 * `npx` forward the signal they get to Cairn, which one sent to the whole process group (Ctrl-C in a terminal,
 * systemd's default KillMode=control-group) has reached already, within the same millisecond.
 */
const SAME_STOP_MS = 1_000;

/** SIGINT/SIGTERM run the shutdown once; a second signal exits at once. */
export function onShutdownSignal(shutdown: () => Promise<void>, options: ShutdownSignalOptions = {}): () => void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const handler = (signal: NodeJS.Signals) => {
    const interrupted = signal === 'SIGINT' ? 130 : 143;
    if (first) {
      if (signal === first.signal && performance.now() - first.at < SAME_STOP_MS) return;
      process.exit(interrupted);
    }
    first = { signal, at: performance.now() };
    void shutdown().then(
      () => process.exit(options.cleanExitCode ?? interrupted),
      () => process.exit(options.cleanExitCode === undefined ? interrupted : 1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * A promise rejected with nobody to hear it ends Node by default. In the long-running bot
 * that is a library's bug (an event it did not expect), and ending would take every platform
 * down with it and lose the turns in flight: it is logged as the bug it is, and the bot goes on.
 */
export function logUnhandledRejections(logger: Pick<Logger, 'error'>): () => void {
  const handler = (reason: unknown) => logger.error({ err: describeError(reason) }, 'unhandled promise rejection (a bug; please report it); Cairn keeps running');
  process.on('unhandledRejection', handler);
  return () => void process.off('unhandledRejection', handler);
}

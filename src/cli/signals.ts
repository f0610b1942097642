export interface ShutdownSignalOptions {
  /**
   * The exit code after the shutdown finished cleanly. A long-running service exits 0 (systemd
   * and Docker read 143 as a failed stop); an interrupted command keeps 128 + the signal.
   */
  cleanExitCode?: number;
}

/** SIGINT/SIGTERM run the shutdown once; a second signal exits at once. */
export function onShutdownSignal(shutdown: () => Promise<void>, options: ShutdownSignalOptions = {}): () => void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    const interrupted = signal === 'SIGINT' ? 130 : 143;
    if (shuttingDown) process.exit(interrupted);
    shuttingDown = true;
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

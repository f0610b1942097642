/** SIGINT/SIGTERM run the shutdown once; a second signal exits at once. */
export function onShutdownSignal(shutdown: () => Promise<void>): () => void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) process.exit(signal === 'SIGINT' ? 130 : 143);
    shuttingDown = true;
    void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * `audits.holder_pid` / `holder_host`: the process running an audit. The 'running' row is the
 * lock that keeps audits from overlapping; a crash mid-audit left it for an hour (until stale).
 * With its holder known, a later audit on the same host clears it at once when that process is gone.
 */
export const sql = /* sql */ `
ALTER TABLE audits ADD COLUMN holder_pid INTEGER;
ALTER TABLE audits ADD COLUMN holder_host TEXT;
`;

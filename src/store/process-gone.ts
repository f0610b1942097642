/**
 * Whether a process that holds something in the database (a lease, an audit's lock) has died:
 * known only for one on this host, with another pid than this process's (a container restarted
 * in a fresh pid namespace reuses its predecessor's pid, so that one cannot be told from itself).
 */
import { hostname } from 'node:os';

export interface Holder {
  pid: number;
  host: string;
}

/** This process as a holder. */
export function thisProcess(host: string = hostname()): Holder {
  return { pid: process.pid, host };
}

export function diedOnThisHost(holder: Holder, self: Holder = thisProcess()): boolean {
  if (holder.host !== self.host || holder.pid === self.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether a process that holds something in the database (a lease, an audit's lock) has died:
 * known only for one whose pid means something here, on this host and in this pid namespace, with
 * another pid than this process's (a container restarted in a fresh pid namespace reuses its
 * predecessor's pid, so that one cannot be told from itself).
 *
 * A holder's `host` names where its pid means something: the host name and, where Linux says, the
 * pid namespace (`cairn-0 (pid namespace 4026532451)`). Containers sharing a host name (Docker's
 * `network_mode: host`, Kubernetes `hostNetwork`, a fixed `hostname:`) each have their own pid
 * namespace: a live Cairn in one has a pid that is not there in the other, and was taken for dead.
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface Holder {
  pid: number;
  host: string;
}

const NAMESPACE = / \(pid namespace (\d+)\)$/;

let ownNamespace: string | undefined | null = null;

/** This process's pid namespace (its inode, as /proc shows it), or undefined where /proc does not say (macOS). */
function pidNamespace(): string | undefined {
  if (ownNamespace === null) {
    try {
      ownNamespace = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    } catch {
      ownNamespace = undefined;
    }
  }
  return ownNamespace;
}

/** Where this process's pid means something: the host name, and the pid namespace where it is known. */
export function thisHost(name: string = hostname()): string {
  const namespace = pidNamespace();
  return namespace === undefined ? name : `${name} (pid namespace ${namespace})`;
}

/** This process as a holder. */
export function thisProcess(host: string = thisHost()): Holder {
  return { pid: process.pid, host };
}

/**
 * Whether a pid recorded on `a` means the same process on `b`. A side without a pid namespace (written
 * by an older Cairn, or where /proc does not say) is judged by its host name alone, as before.
 */
export function samePidSpace(a: string, b: string): boolean {
  const [nameA, namespaceA] = splitHost(a);
  const [nameB, namespaceB] = splitHost(b);
  if (nameA !== nameB) return false;
  return namespaceA === undefined || namespaceB === undefined || namespaceA === namespaceB;
}

/** Whether two holders ran on machines of one host name (whatever their pid namespaces): another name is another machine, or a container of another name. */
export function sameHostName(a: string, b: string): boolean {
  return splitHost(a)[0] === splitHost(b)[0];
}

export function diedOnThisHost(holder: Holder, self: Holder = thisProcess()): boolean {
  if (!samePidSpace(holder.host, self.host) || holder.pid === self.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function splitHost(host: string): [name: string, namespace: string | undefined] {
  const match = NAMESPACE.exec(host);
  return match ? [host.slice(0, match.index), match[1]] : [host, undefined];
}

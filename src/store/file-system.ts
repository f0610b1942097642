/**
 * Whether the data folder is on a network (or FUSE) file system, from the file system's type that
 * Linux's statfs gives. SQLite's WAL keeps its index in shared memory (the `-shm` file, mapped by
 * every connection), which works only for processes on one machine, and its locks rely on the file
 * system's: NFS, SMB and most FUSE file systems lose or fake them, and a database two machines open
 * there is damaged without an error. Cairn on NFS moved there from a local disk (a Kubernetes
 * PersistentVolume of an NFS or EFS class, Azure Files) got no word of it.
 */
import { statfsSync } from 'node:fs';

export const NFS_SUPER_MAGIC = 0x6969;

/** Linux's magic numbers (linux/magic.h, fs/*) of the file systems whose files other machines share, or whose locks are the daemon's. */
const NETWORK_FILE_SYSTEMS = new Map<number, string>([
  [NFS_SUPER_MAGIC, 'NFS'],
  [0x517b, 'SMB'],
  [0xff534d42, 'SMB (CIFS)'],
  [0xfe534d42, 'SMB'],
  [0x65735546, 'FUSE (sshfs, a cloud bucket, a desktop VM\'s shared folder)'],
  [0x01021997, '9P (a VM\'s or WSL\'s shared folder)'],
  [0x00c36400, 'CephFS'],
  [0x0bd00bd0, 'Lustre'],
  [0x5346414f, 'AFS'],
  [0x01161970, 'GFS2'],
  [0x7461636f, 'OCFS2'],
]);

/** The network file system `dir` is on, named for people; undefined on a local one, or where statfs cannot say (not Linux). */
export function networkFileSystem(dir: string, statfs: (dir: string) => { type: number } = statfsSync): string | undefined {
  let type: number;
  try {
    type = statfs(dir).type;
  } catch {
    return undefined;
  }
  // statfs may give the type as a negative 32-bit number (CIFS's 0xff534d42 on some builds).
  return NETWORK_FILE_SYSTEMS.get(type >>> 0);
}

/** What to do about a data folder on `kind`, for doctor and the start's log. */
export function networkFileSystemAdvice(dir: string, kind: string): string {
  return (
    `${dir} is on ${kind}, a network file system: SQLite's WAL (cairn.db-wal and -shm) works only for processes on one machine, and its locks are often not kept there, so the database can be damaged without an error. ` +
    'Put the data folder on a local disk or a block volume (Kubernetes: a ReadWriteOnce volume of a block storage class, not NFS, EFS or Azure Files). ' +
    'Until then: one Cairn only (Kubernetes: replicas 1, strategy Recreate), never open the folder from another machine (run `cairn` commands inside the pod), and take `cairn backup` often.'
  );
}

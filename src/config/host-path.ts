/**
 * A path on this machine. A leading `~` is the home directory, as a shell would read it:
 * `.env` files and config files do not expand it, and `CAIRN_DATA_DIR=~/cairn` made a folder
 * named "~" in the current directory (and `CAIRN_SSH_KEY=~/.ssh/id_ed25519` read no key).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export function hostPath() {
  return z.string().min(1).transform(expandHome);
}

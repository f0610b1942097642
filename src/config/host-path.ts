/**
 * A path on this machine. A leading `~` is the home directory, as a shell would read it:
 * `.env` files and config files do not expand it, and `CAIRN_DATA_DIR=~/cairn` made a folder
 * named "~" in the current directory (and `CAIRN_SSH_KEY=~/.ssh/id_ed25519` read no key).
 * Nor do they expand variables, as Docker Compose and shells do: `CAIRN_DATA_DIR=${HOME}/cairn`
 * made a folder named "${HOME}" and kept the database there, so a path naming one is refused.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** `$NAME` or `${NAME}`: a variable a shell would have put its value in place of. */
const VARIABLE = /\$(\{[A-Za-z_]|[A-Za-z_])/;

export function hostPath() {
  return z
    .string()
    .min(1)
    .refine((path) => !VARIABLE.test(path), { message: 'names a variable, and variables are not expanded in .env or the config file: write the path out (a leading ~ is your home directory)' })
    .transform(expandHome);
}

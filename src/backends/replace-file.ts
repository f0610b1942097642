/**
 * `write_file` on the local back end: the new content goes to a temporary file beside the
 * target and is renamed over it, so a write cut short (a full disk, Cairn stopped) leaves the
 * old file whole, and a reader sees the old or the new content, never half. The replaced file's
 * permissions, owner and group are kept (a script stays executable; a user's file that Cairn run
 * as root edits stays the user's). Where a rename would change what the path is, the content is
 * written into the existing file instead, once the temporary copy showed it fits on the disk: a
 * symlink (renaming would replace the link with a file), a file with other hard links, and a file
 * whose owner or group the new copy cannot be given (Cairn not root: another user's file it may
 * write to). A device or FIFO is written to straight away: there is nothing to keep whole.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, readlink, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export async function replaceFile(path: string, data: Uint8Array): Promise<void> {
  const target = await followLink(path);
  const existing = await stat(target).catch(() => undefined);
  // Not copyFile, here or below: libuv removes the target when a step of its copy fails
  // (ftruncate on a FIFO or device, fchmod of another user's file), and with it a device node
  // such as /dev/null, or the file itself.
  if (existing && !existing.isFile()) return writeFile(target, data);
  const temp = join(dirname(target), `.${basename(target)}.cairn-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: existing ? existing.mode & 0o7777 : 0o666 });
    if (existing && (existing.nlink > 1 || !(await giveOwnerOf(existing, temp)))) {
      await writeFile(target, data);
      await rm(temp, { force: true });
      return;
    }
    // The mode given to open() is reduced by the umask; the replaced file's is kept as it was.
    // After the chown, which clears set-user-id and set-group-id bits.
    if (existing) await chmod(temp, existing.mode & 0o7777);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Gives `temp` the owner and group of the file it replaces; false where that is not allowed. */
async function giveOwnerOf(existing: Stats, temp: string): Promise<boolean> {
  const made = await stat(temp);
  if (made.uid === existing.uid && made.gid === existing.gid) return true;
  return chown(temp, existing.uid, existing.gid).then(
    () => true,
    () => false,
  );
}

/** The file a path names, through symlinks; for a dangling link, the path it points to (writing creates it, as writing through the link would). */
async function followLink(path: string): Promise<string> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return path;
  return realpath(path).catch(async () => resolve(dirname(path), await readlink(path)));
}

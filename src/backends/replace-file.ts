/**
 * `write_file` on the local back end: the new content goes to a temporary file beside the
 * target and is renamed over it, so a write cut short (a full disk, Cairn stopped) leaves the
 * old file whole, and a reader sees the old or the new content, never half. The replaced file's
 * permissions are kept (a script stays executable). Where a rename would change what the path
 * is, the complete content is copied into the existing file instead: a symlink (renaming would
 * replace the link with a file), a file with other hard links, a device or FIFO.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, lstat, readlink, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export async function replaceFile(path: string, data: Uint8Array): Promise<void> {
  const target = await followLink(path);
  const existing = await stat(target).catch(() => undefined);
  const temp = join(dirname(target), `.${basename(target)}.cairn-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: existing ? existing.mode & 0o7777 : 0o666 });
    if (existing && (!existing.isFile() || existing.nlink > 1)) {
      await copyFile(temp, target);
      await rm(temp, { force: true });
      return;
    }
    // The mode given to open() is reduced by the umask; the replaced file's is kept as it was.
    if (existing) await chmod(temp, existing.mode & 0o7777);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The file a path names, through symlinks; for a dangling link, the path it points to (writing creates it, as writing through the link would). */
async function followLink(path: string): Promise<string> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return path;
  return realpath(path).catch(async () => resolve(dirname(path), await readlink(path)));
}

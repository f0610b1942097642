/**
 * Renames that can be taken back. `cairn restore` moves what the data folder holds aside and
 * the restored copy in, one rename at a time; when one fails (EBUSY on a bind-mounted
 * `skills`, a folder held open on Windows), the ones already made are undone, last first,
 * so the folder is left as it was rather than without its database.
 */
import { renameSync } from 'node:fs';

export interface Rename {
  from: string;
  to: string;
}

export class UndoableRenames {
  private readonly done: Rename[] = [];

  rename(from: string, to: string): void {
    renameSync(from, to);
    this.done.push({ from, to });
  }

  /** Moves everything back, last first, going on past a failure; returns the renames it could not undo (their files are still at `to`). */
  undo(): (Rename & { error: unknown })[] {
    const stuck: (Rename & { error: unknown })[] = [];
    for (const { from, to } of this.done.splice(0).reverse()) {
      try {
        renameSync(to, from);
      } catch (error) {
        stuck.push({ from, to, error });
      }
    }
    return stuck;
  }
}

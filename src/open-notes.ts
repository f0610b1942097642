/** The notes layer alone, without an agent: what `cairn memory …` opens. */
import type { Config } from './config/load.js';
import { openDatabase, databasePath, type Db } from './store/db.js';
import { systemClock } from './core/clock.js';
import { loggerFor } from './core/logger.js';
import { Notes } from './memory/notes/index.js';
import type { CairnOverrides } from './cairn-types.js';
import { notesEmbedder } from './optional-clients.js';
import { UsageLedger } from './core/usage-ledger.js';

/** The notes layer alone, for commands that need no agent (`cairn memory …`). */
export function openNotes(config: Config, overrides: Pick<CairnOverrides, 'clock' | 'logger' | 'db' | 'embedder'> = {}): { notes: Notes; db: Db; close(): Promise<void> } {
  const logger = overrides.logger ?? loggerFor(config, 'warn');
  const db = overrides.db ?? openDatabase(databasePath(config.dataDir));
  const clock = overrides.clock ?? systemClock;
  // A `cairn memory search` embeds too, and pays for it like `cairn start` does: in the ledger.
  const ledger = new UsageLedger(db, () => clock.now());
  const notes = new Notes({
    db,
    clock,
    logger,
    secrets: config.secrets,
    recallTokens: config.memory.recallTokens,
    embedder: overrides.embedder ?? notesEmbedder(config, logger, { onCall: ledger.record, pricing: config.model.pricing, logger }),
  });
  return {
    notes,
    db,
    close: async () => {
      await notes.close(0, unrefSleep);
      if (db.open) db.close();
    },
  };
}

/** A sleep that keeps no process alive (the grace given to note extraction at close). */
export function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

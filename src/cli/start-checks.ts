/**
 * What `cairn start` looks at in the data folder before it opens the database, for an operator who
 * moved it to another machine or volume: skill folders named by paths that are not there (a link to
 * the old machine's folder refuses the start; an extra folder is warned of), and a folder on a
 * network file system (warned of: SQLite's WAL there is safe for one machine only). `cairn doctor`
 * says the same as ✗ marks.
 */
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { networkFileSystem, networkFileSystemAdvice } from '../store/file-system.js';
import { missingSkillFolders } from '../skills/missing-folders.js';

export function checkMovedDataFolder(config: Config, logger: Logger, statfs?: (dir: string) => { type: number }): void {
  const missing = missingSkillFolders(config.dataDir, config.skills.dirs);
  if (missing.learned) throw new CairnError('config', missing.learned);
  for (const problem of missing.extra) logger.warn(problem);
  const kind = networkFileSystem(config.dataDir, statfs);
  if (kind) logger.warn({ dataDir: config.dataDir, fileSystem: kind }, networkFileSystemAdvice(config.dataDir, kind));
}

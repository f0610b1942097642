/**
 * `cairn doctor`'s database check. A database that is not there yet is not created: doctor
 * run before the first start is fine (the folder only has to be one Cairn can make), and one
 * run with a mistyped CAIRN_DATA_DIR must say that no database is there, not make an empty
 * one and call it healthy.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { describeError, isCairnError } from '../core/errors.js';
import { databasePath, openDatabase } from '../store/db.js';
import { currentHolder } from '../store/instance-lease.js';
import type { CheckResult } from './doctor.js';

export function checkDatabase(config: Config): CheckResult {
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) return checkFutureDatabase(config.dataDir, path);
  try {
    accessSync(config.dataDir, constants.W_OK);
    const db = openDatabase(path);
    try {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') return { name: 'database', ok: false, detail: `${path} failed its integrity check (${String(check)}). Restore a backup or move the file away.` };
      const version = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
      const holder = currentHolder(db, 'start', Date.now());
      const running = holder ? `; \`cairn start\` runs on it (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.startedAt).toISOString()})` : '';
      return { name: 'database', ok: true, detail: `${path} (schema ${String(version)}, WAL)${running}` };
    } finally {
      db.close();
    }
  } catch (error) {
    // The database's own errors say what to do; a folder that cannot be written is CAIRN_DATA_DIR's.
    const advice = isCairnError(error) ? '' : ' Set CAIRN_DATA_DIR to a writable directory.';
    return { name: 'database', ok: false, detail: `${describeError(error).replace(/\.?$/, '.')}${advice}` };
  }
}

/** No database yet: fine where the first start can make one; the hint covers a CAIRN_DATA_DIR that points elsewhere than before. */
function checkFutureDatabase(dataDir: string, path: string): CheckResult {
  const existing = nearestExisting(resolve(dataDir));
  const usable = existing !== undefined && statSync(existing).isDirectory() && isWritable(existing);
  if (!usable) return { name: 'database', ok: false, detail: `${path} cannot be created: ${existing ?? dataDir} is not a writable directory. Set CAIRN_DATA_DIR to a writable directory.` };
  return { name: 'database', ok: true, detail: `${path} does not exist yet; the first \`cairn start\` or \`cairn chat\` creates it. If Cairn has run here before, CAIRN_DATA_DIR (${dataDir}) is not the folder it used.` };
}

function nearestExisting(path: string): string | undefined {
  for (let at = path; ; at = dirname(at)) {
    if (existsSync(at)) return at;
    if (dirname(at) === at) return undefined;
  }
}

function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

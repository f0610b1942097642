/** `cairn doctor`'s database check: it reports on the database there is, and never makes one. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDatabase } from '../../src/cli/doctor-database.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';

const configFor = (dataDir: string) => loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false });
const root = () => mkdtempSync(join(tmpdir(), 'cairn-doctor-db-'));

describe("doctor's database check", () => {
  it('says a mistyped CAIRN_DATA_DIR holds no database, and creates nothing there', () => {
    const typo = join(root(), 'cairn-dta');
    const result = checkDatabase(configFor(typo));
    expect(result.ok).toBe(true);
    expect(result.detail).toBe(`${databasePath(typo)} does not exist yet; the first \`cairn start\` or \`cairn chat\` creates it. If Cairn has run here before, CAIRN_DATA_DIR (${typo}) is not the folder it used.`);
    expect(existsSync(typo)).toBe(false);
  });

  it('reports the database that is there', () => {
    const dataDir = root();
    openDatabase(databasePath(dataDir)).close();
    expect(checkDatabase(configFor(dataDir))).toMatchObject({ ok: true, detail: expect.stringMatching(/cairn\.db \(schema \d+, WAL\)$/) });
  });

  it('fails when the folder could not be made: a file in the way', () => {
    const base = root();
    writeFileSync(join(base, 'data'), 'not a folder');
    const result = checkDatabase(configFor(join(base, 'data', 'cairn')));
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('is not a writable directory. Set CAIRN_DATA_DIR to a writable directory.');
  });

  it.skipIf(process.getuid?.() === 0)('fails when the folder could not be written', () => {
    const base = root();
    mkdirSync(join(base, 'locked'));
    chmodSync(join(base, 'locked'), 0o500);
    expect(checkDatabase(configFor(join(base, 'locked', 'data'))).ok).toBe(false);
  });
});

/** A data folder that cannot be made (EACCES for a non-root user; here a file stands in its way) says which setting to check, as an unopenable database does. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { databasePath, openDatabase } from '../../src/store/db.js';

it('names CAIRN_DATA_DIR when the data folder cannot be made', () => {
  const file = join(tempDir(), 'not-a-folder');
  writeFileSync(file, '');
  expect(() => openDatabase(databasePath(join(file, 'data')))).toThrow(/Cannot open the database at .*Check CAIRN_DATA_DIR and its permissions/);
});

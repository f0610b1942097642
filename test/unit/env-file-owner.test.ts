/**
 * `sudo cairn setup` in someone's folder: the new .env was root's (mode 0600), and its owner's
 * `cairn chat` could no longer read it. Root gives the file back to whom it belonged.
 */
import { chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeEnvFile } from '../../src/cli/env-file.js';
import { tempDir } from '../helpers/cairn.js';

describe('setup run as root on a .env of another user', () => {
  it.skipIf(process.getuid?.() !== 0)('keeps the file its owner\'s, readable by that owner only', () => {
    const file = join(tempDir(), '.env');
    writeFileSync(file, 'CAIRN_LOG_LEVEL=debug\n', { mode: 0o600 });
    chownSync(file, 1000, 1001);
    writeEnvFile(file, { set: { CAIRN_MODEL: 'm' } });
    expect(readFileSync(file, 'utf8')).toBe('CAIRN_LOG_LEVEL=debug\n\n# Written by cairn setup\nCAIRN_MODEL=m\n');
    expect(statSync(file)).toMatchObject({ uid: 1000, gid: 1001 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

/**
 * A .env that is a symlink to a shared file (Capistrano-style `shared/.env` linked into each
 * release, or dotfiles kept in one place): `cairn setup` writes the file the link points to,
 * still atomically (the temporary file beside that one), and the link stays a link.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeEnvFile } from '../../src/cli/env-file.js';
import { tempDir } from '../helpers/cairn.js';

describe('setup writing a symlinked .env', () => {
  it('writes the new settings into the file the link points to, and keeps the link', () => {
    const root = tempDir();
    mkdirSync(join(root, 'shared'));
    mkdirSync(join(root, 'release'));
    const shared = join(root, 'shared', '.env');
    writeFileSync(shared, '# shared settings\nCAIRN_LOG_LEVEL=debug\nTELEGRAM_BOT_TOKEN=123:old\n', { mode: 0o600 });
    const link = join(root, 'release', '.env');
    symlinkSync(shared, link);

    writeEnvFile(link, { set: { TELEGRAM_BOT_TOKEN: '123:new' } });

    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(parseEnv(readFileSync(shared, 'utf8'))).toEqual({ CAIRN_LOG_LEVEL: 'debug', TELEGRAM_BOT_TOKEN: '123:new' });
    // No temporary file left in either folder.
    expect(readdirSync(join(root, 'shared'))).toEqual(['.env']);
    expect(readdirSync(join(root, 'release'))).toEqual(['.env']);
  });

  it('creates the file a link points to when it is not there yet, and keeps the link', () => {
    const root = tempDir();
    mkdirSync(join(root, 'shared'));
    const shared = join(root, 'shared', '.env');
    const link = join(root, '.env');
    symlinkSync(shared, link);

    writeEnvFile(link, { set: { TELEGRAM_BOT_TOKEN: '123:new' } });

    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(parseEnv(readFileSync(shared, 'utf8'))).toEqual({ TELEGRAM_BOT_TOKEN: '123:new' });
  });
});

/**
 * `cairn pairing revoke` of someone an allowlist (or the admin list) also lets in: "Revoked" alone
 * told the operator the person was out, while the next message was answered as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/access/index.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';

let dataDir = '';
const saved: Record<string, string | undefined> = {};
const setEnv = (name: string, value: string) => {
  saved[name] ??= process.env[name];
  process.env[name] = value;
};

beforeEach(() => {
  dataDir = tempDir();
});
useCairnDataDir(() => dataDir);
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
    delete saved[name];
  }
  process.exitCode = undefined;
});

/** Pairs Telegram user 777 as `cairn pairing approve` would. */
function paired(): void {
  const db = openDatabase(databasePath(dataDir));
  try {
    const access = new AccessControl(db, loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir }).platforms);
    const { code } = access.pairing.request('telegram', '777', 'Ada', Date.now());
    access.pairing.approve(code, 'cli:test', Date.now());
  } finally {
    db.close();
  }
}

describe('cairn pairing revoke of someone a list also lets in', () => {
  it('says which setting still lets a paired user in', async () => {
    paired();
    setEnv('TELEGRAM_ALLOWED_USERS', '777');
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '777')).toEqual([
      'Revoked telegram user 777. They still get in through TELEGRAM_ALLOWED_USERS (or allowedUsers in the config file): take them out there and restart Cairn.',
    ]);
  });

  it('names the admin list for someone never paired, and fails', async () => {
    setEnv('TELEGRAM_ADMIN_USERS', '777');
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '777')).toEqual([
      'telegram user 777 was not paired; they get in through TELEGRAM_ADMIN_USERS (or adminUsers in the config file): take them out there and restart Cairn.',
    ]);
    expect(process.exitCode).toBe(1);
  });

  it('says nothing more for a paired user no list names', async () => {
    paired();
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '777')).toEqual(['Revoked telegram user 777.']);
  });
});

/**
 * A .env setup may write, in a folder it may not (one bind-mounted into the Docker image, whose
 * /app is root's; /etc/cairn/.env handed to a user): the answers replace the file through a new
 * file made beside it, so setup must say so before the first question. It checked the file alone,
 * asked everything, and lost every answer to EACCES at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { ScriptedTerminal } from '../helpers/scripted-terminal.js';

const isRoot = process.getuid?.() === 0;

/** Root writes in any folder whatever its mode; an immutable one (chattr +i, where the file system has it) it cannot. */
function canLockFolders(): boolean {
  if (!isRoot) return true;
  const probe = tempDir();
  if (spawnSync('chattr', ['+i', probe]).status !== 0) return false;
  execFileSync('chattr', ['-i', probe]);
  return true;
}

const locked: string[] = [];
function lockFolder(dir: string): void {
  if (isRoot) execFileSync('chattr', ['+i', dir]);
  else chmodSync(dir, 0o555);
  locked.push(dir);
}
afterEach(() => {
  for (const dir of locked.splice(0)) {
    if (isRoot) execFileSync('chattr', ['-i', dir]);
    else chmodSync(dir, 0o755);
  }
});

async function setupRefused(envFile: string): Promise<{ error: unknown; screen: string }> {
  // Were the questions asked after all, Ctrl-C at the first ends the run (and the test) at once.
  const terminal = new ScriptedTerminal().answer('Which model should Cairn use?', '\x03');
  const error = await runSetup({ envFile, env: {}, terminal, print: () => undefined }).then(
    (outcome) => outcome,
    (error: unknown) => error,
  );
  return { error, screen: terminal.dump() };
}

describe('cairn setup with a .env it may write in a folder it may not', () => {
  it.skipIf(!canLockFolders())('says so before the first question, and leaves the file as it was', async () => {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, 'CAIRN_LOG_LEVEL=debug\n', { mode: 0o600 });
    lockFolder(dir);
    const { error, screen } = await setupRefused(file);
    expect(String(error)).toContain(`Setup cannot write ${file}: the folder ${dir} is not writable by this user (the file is written through a new file beside it).`);
    expect(screen).not.toContain('Which model');
    expect(readFileSync(file, 'utf8')).toBe('CAIRN_LOG_LEVEL=debug\n');
  });

  it.skipIf(!canLockFolders())('looks at the folder a linked .env leads to, where the file is written', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'shared'));
    const shared = join(root, 'shared', '.env');
    writeFileSync(shared, 'CAIRN_LOG_LEVEL=debug\n', { mode: 0o600 });
    symlinkSync(shared, join(root, '.env'));
    lockFolder(join(root, 'shared'));
    const { error, screen } = await setupRefused(join(root, '.env'));
    expect(String(error)).toContain(`the folder ${join(root, 'shared')} is not writable by this user`);
    expect(screen).not.toContain('Which model');
  });
});

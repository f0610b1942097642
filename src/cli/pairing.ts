/** `cairn pairing list|approve|revoke`: the operator's side of DM pairing, safe to run beside a running bot. */
import { userInfo } from 'node:os';
import { AccessControl } from '../access/index.js';
import { databasePath, openDatabase } from '../store/db.js';
import type { CommandGroup } from './context.js';

export const pairingCommands: CommandGroup = ({ program, config, print }) => {
  const pairing = program.command('pairing').description('approve people who asked the bot for access in a DM');
  const withAccess = <T>(run: (access: AccessControl) => T): T => {
    const loaded = config();
    const db = openDatabase(databasePath(loaded.dataDir));
    try {
      return run(new AccessControl(db, loaded.platforms));
    } finally {
      db.close();
    }
  };

  pairing
    .command('list')
    .description('pending pairing codes')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withAccess((access) => {
        const pending = access.pairing.pending(Date.now());
        if (options.json) return print(JSON.stringify(pending.map((p) => ({ ...p, createdAt: new Date(p.createdAt).toISOString(), expiresAt: new Date(p.expiresAt).toISOString() }))));
        if (pending.length === 0) return print('No pending pairing requests.');
        for (const p of pending) print(`${p.code}  ${p.platform}  ${p.userId}  ${p.userName}  expires ${new Date(p.expiresAt).toISOString()}`);
      }),
    );

  pairing
    .command('approve <code>')
    .description('let the user who got this code talk to Cairn')
    .action((code: string) =>
      withAccess((access) => {
        const request = access.pairing.approve(code, `cli:${operator()}`, Date.now());
        print(`Approved ${request.userName} (${request.platform} user ${request.userId}). They can talk to Cairn now.`);
      }),
    );

  pairing
    .command('revoke <platform> <userId>')
    .description("withdraw a paired user's access")
    .action((platform: string, userId: string) =>
      withAccess((access) => {
        if (access.pairing.revoke(platform, userId)) print(`Revoked ${platform} user ${userId}.`);
        else {
          print(`${platform} user ${userId} was not paired (allowlisted users are changed in config).`);
          process.exitCode = 1;
        }
      }),
    );
};

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

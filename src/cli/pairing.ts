/** `cairn pairing list|approved|approve|revoke`: the operator's side of DM pairing, safe to run beside a running bot. */
import { userInfo } from 'node:os';
import { Argument } from 'commander';
import { PLATFORM_NAMES } from '../core/adapter-factory.js';
import { AccessControl } from '../access/index.js';
import type { PlatformsConfig } from '../config/platforms.js';
import { ScheduleStore } from '../schedules/store.js';
import { openDataDatabase, type CommandGroup } from './context.js';

export const pairingCommands: CommandGroup = ({ program, config, print }) => {
  const pairing = program.command('pairing').description('approve people who asked the bot for access in a DM');
  const withAccess = <T>(run: (access: AccessControl, platforms: PlatformsConfig, schedules: ScheduleStore) => T): T => {
    const loaded = config();
    const db = openDataDatabase(loaded);
    try {
      return run(new AccessControl(db, loaded.platforms), loaded.platforms, new ScheduleStore(db));
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
    .command('approved')
    .description('everyone let in by pairing (allowlisted users are in the config)')
    .option('--json', 'print JSON: [{platform, userId, userName, approvedAt, approvedBy}]')
    .action((options: { json?: boolean }) =>
      withAccess((access) => {
        const approved = access.pairing.approved();
        if (options.json) return print(JSON.stringify(approved.map((user) => ({ ...user, userName: user.userName ?? null, approvedAt: new Date(user.approvedAt).toISOString() }))));
        if (approved.length === 0) return print('Nobody was let in by pairing yet.');
        for (const user of approved) print(`${user.platform}  ${user.userId}  ${user.userName ?? '?'}  approved ${new Date(user.approvedAt).toISOString()} by ${user.approvedBy}`);
      }),
    );

  pairing
    .command('approve <code>')
    .description('let the user who got this code talk to Cairn')
    .action((code: string) =>
      withAccess((access, _platforms, schedules) => {
        const request = access.pairing.approve(code, `cli:${operator()}`, Date.now());
        // The tasks `revoke` paused run again (the running bot looks at them within six hours, or at its next start).
        const resumed = schedules.resumeOf(request.platform, request.userId);
        print(`Approved ${request.userName} (${request.platform} user ${request.userId}). They can talk to Cairn now.${resumed > 0 ? ` ${tasks(resumed)} they set before their access was revoked ${resumed === 1 ? 'runs' : 'run'} again.` : ''}`);
        // The first person in is usually the operator, whose id is rarely known otherwise.
        const platform = PLATFORM_NAMES.find((name) => name === request.platform);
        if (platform && config().platforms[platform].adminUsers.length === 0) {
          print(`${platform} has no admins yet (they approve risky commands and run admin commands): to make ${request.userName} one, set ${platform.toUpperCase()}_ADMIN_USERS=${request.userId} and restart Cairn.`);
        }
      }),
    );

  pairing
    .command('revoke')
    .description("withdraw a paired user's access")
    .addArgument(new Argument('<platform>', 'where the user was paired').choices(PLATFORM_NAMES))
    .argument('<userId>', "the user's id on that platform (as `cairn pairing approved` shows it)")
    .action((platform: string, userId: string) =>
      withAccess((access, platforms, schedules) => {
        // "Revoked" alone told the operator the person was out while an allowlist still let them in.
        const listed = listedIn(platforms, platform, userId);
        if (access.pairing.revoke(platform, userId)) {
          // A link code it gave out just before would still make whoever redeems it this person.
          access.links.dropCodesOf(platform, userId);
          // Their tasks would be skipped at each run while listed as active (a one-off used up): they are paused, and say so.
          const paused = listed ? 0 : schedules.pauseOf(platform, userId);
          const pausedText = paused > 0 ? ` ${tasks(paused)} they set ${paused === 1 ? 'is' : 'are'} paused until they are approved again (\`cairn schedules cancel\` ends one).` : '';
          print(`Revoked ${platform} user ${userId}.${listed ? ` They still get in through ${listed}: take them out there and restart Cairn.` : pausedText}${linkedText(access, platform, userId)}`);
        } else {
          print(`${platform} user ${userId} was not paired${listed ? `; they get in through ${listed}: take them out there and restart Cairn` : ' (allowlisted users are changed in config)'}.`);
          process.exitCode = 1;
        }
      }),
    );
};

/**
 * Revoking takes one account out; a person linked across platforms still reaches Cairn, with their
 * notes, tasks and allowance, from the others: "Revoked" alone read as the person being shut out.
 */
function linkedText(access: AccessControl, platform: string, userId: string): string {
  const accounts = access.links.linkedAccountsOf(platform, userId);
  const others = [...new Set(accounts.flatMap((account) => access.links.identitiesOf(account)))].filter((identity) => !accounts.includes(identity));
  if (others.length === 0) return '';
  const one = others.length === 1;
  return ` It is linked with ${others.join(', ')}, which still ${one ? 'reaches' : 'reach'} Cairn as the same person, with their notes and tasks: take ${one ? 'it' : 'them'} out too to shut the person out.`;
}

/** `1 scheduled task`, `3 scheduled tasks`. */
function tasks(count: number): string {
  return `${count} scheduled task${count === 1 ? '' : 's'}`;
}

/** The setting that lets the user in besides pairing (`TELEGRAM_ALLOWED_USERS`, `SLACK_ADMIN_USERS`, …), if any. */
function listedIn(platforms: PlatformsConfig, platform: string, userId: string): string | undefined {
  if (platform !== 'telegram' && platform !== 'slack' && platform !== 'discord') return undefined;
  const { allowedUsers, adminUsers } = platforms[platform];
  const prefix = platform.toUpperCase();
  if (adminUsers.includes(userId)) return `${prefix}_ADMIN_USERS (or adminUsers in the config file)`;
  return allowedUsers.includes(userId) ? `${prefix}_ALLOWED_USERS (or allowedUsers in the config file)` : undefined;
}

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

/**
 * `cairn doctor`'s look at Slack: the bot token, by auth.test, and in Socket Mode the
 * app-level token, by opening (and dropping) a connection URL, which needs
 * `connections:write`.
 */
import { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Config } from '../../src/config/load.js';
import { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { mapSlackError, slackErrorCode } from './errors.js';
import { EVENTS_PATH, slackSettings, webClientOptions } from './client.js';

/** The part of users.info's answer the admins' check reads: whether the account was deactivated, and a name to show. */
const memberInfo = z.object({ user: z.object({ deleted: z.boolean().optional(), name: z.string().optional(), profile: z.object({ display_name: z.string().optional() }).optional() }) });

/** The part of auth.test's answer the check reads: the bot's name, the workspace's, and the token's scopes (from a header). */
const authTest = z.object({ user: z.string(), team: z.string(), response_metadata: z.object({ scopes: z.array(z.string()).optional() }).optional() });

/** The bot scopes the adapter uses (see README, Slack); files:read to fetch shared files (text files, audio clips, images), files:write to send some (send_file). */
const BOT_SCOPES = ['app_mentions:read', 'chat:write', 'im:history', 'reactions:read', 'reactions:write', 'commands', 'files:read', 'files:write'];
/** Scopes Cairn works without, less well, and what it cannot do then. */
const OPTIONAL_SCOPES = [
  { scopes: ['channels:history', 'groups:history'], without: 'it reads a thread only from the mention on' },
  { scopes: ['users:read'], without: 'it knows members by id, not by name' },
];

export async function checkSlack(config: Config): Promise<string> {
  const settings = slackSettings(config);
  const options = webClientOptions(settings, silentLogger);
  let who: string;
  let scopes: string[] | undefined;
  const client = new webApi.WebClient(settings.botToken, options);
  try {
    const auth = authTest.parse(await client.auth.test());
    who = `@${auth.user} in ${auth.team}`;
    scopes = auth.response_metadata?.scopes;
  } catch (error) {
    throw mapSlackError(error);
  }
  // A proxy may drop the header; then there is nothing to compare.
  const missing = scopes ? BOT_SCOPES.filter((scope) => !scopes.includes(scope)) : [];
  if (missing.length > 0) {
    throw new CairnError('permission', `The bot token lacks the scopes ${missing.join(', ')}: add them under OAuth & Permissions and reinstall the app.`, { platform: 'slack' });
  }
  for (const optional of OPTIONAL_SCOPES) {
    const lacking = scopes ? optional.scopes.filter((scope) => !scopes.includes(scope)) : [];
    if (lacking.length > 0) who += `; without ${lacking.join(' and ')} ${optional.without}`;
  }
  who += await adminsWhoLeft(client, config.platforms.slack.adminUsers);
  if (!settings.appToken) return `${who}, HTTP events on ${EVENTS_PATH} (signed with SLACK_SIGNING_SECRET)`;
  try {
    await new webApi.WebClient(settings.appToken, options).apps.connections.open();
  } catch (error) {
    const mapped = mapSlackError(error);
    if (mapped.code !== 'auth' && mapped.code !== 'permission') throw mapped;
    // mapSlackError's own advice names the bot token; this was the app token.
    const said = slackErrorCode(error) ?? mapped.code;
    throw new CairnError(mapped.code, `Slack refused SLACK_APP_TOKEN for Socket Mode (${said}): it must be an app-level token (xapp-…) with the connections:write scope, and Socket Mode must be on for the app.`, { platform: 'slack', cause: error });
  }
  return `${who}, Socket Mode`;
}

/**
 * SLACK_ADMIN_USERS naming accounts deactivated since (an admin who left the company): they still read
 * as admins, and when no admin is left nobody on Slack can approve a risky command, which then waits out
 * its time and is refused. Said as part of the line; an error when no admin is left. Members who cannot
 * be looked up (no users:read, an id from another workspace) are not judged.
 */
async function adminsWhoLeft(client: InstanceType<typeof webApi.WebClient>, admins: readonly string[]): Promise<string> {
  const gone: string[] = [];
  for (const id of admins) {
    try {
      const { user } = memberInfo.parse(await client.users.info({ user: id }));
      if (user.deleted === true) gone.push(`${id} (${user.profile?.display_name || user.name || id})`);
    } catch {
      // Not judged: see above.
    }
  }
  if (gone.length === 0) return '';
  const names = gone.join(', ');
  if (gone.length === admins.length) {
    throw new CairnError('permission', `SLACK_ADMIN_USERS names only ${names}, whose Slack account${gone.length === 1 ? ' is' : 's are'} deactivated: nobody on Slack can approve risky commands or run admin commands. Put a current admin's member id in SLACK_ADMIN_USERS and restart Cairn.`, { platform: 'slack' });
  }
  return `; SLACK_ADMIN_USERS names ${names}, whose Slack account${gone.length === 1 ? ' is' : 's are'} deactivated: take ${gone.length === 1 ? 'it' : 'them'} out and restart Cairn`;
}

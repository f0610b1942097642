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

/** The part of auth.test's answer the check reads: the bot's name and the workspace's. */
const authTest = z.object({ user: z.string(), team: z.string() });

export async function checkSlack(config: Config): Promise<string> {
  const settings = slackSettings(config);
  const options = webClientOptions(settings, silentLogger);
  let who: string;
  try {
    const auth = authTest.parse(await new webApi.WebClient(settings.botToken, options).auth.test());
    who = `@${auth.user} in ${auth.team}`;
  } catch (error) {
    throw mapSlackError(error);
  }
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

/**
 * `cairn doctor` passed an admin channel the adapter cannot post to (a bare Slack or Discord
 * channel id, a Telegram @name): every audit report and approval request for admins then failed.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkAdminChannel } from '../../src/cli/doctor-settings.js';
import { tempDir } from '../helpers/cairn.js';

const config = (env: Record<string, string>) => loadConfig({ env, dotenv: false, cwd: tempDir() });
const platforms = { TELEGRAM_BOT_TOKEN: '1:x', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', DISCORD_TOKEN: 'd.t.x' };

describe('doctor: an admin channel the platform cannot post to', () => {
  it.each(['slack:C0123ABC', 'discord:112233445566778899', 'telegram:@cairn_admins'])('%s fails', (channel) => {
    expect(checkAdminChannel(config({ ...platforms, CAIRN_ADMIN_CHANNEL: channel }))[0]).toMatchObject({ ok: false });
  });
  it.each(['slack:T1:C1', 'slack:T1:C1:1700000000.1', 'discord:1122:3344', 'discord:dm:3344', 'telegram:-100123', 'telegram:-100123:topic-5'])('%s passes', (channel) => {
    expect(checkAdminChannel(config({ ...platforms, CAIRN_ADMIN_CHANNEL: channel }))[0]).toMatchObject({ ok: true });
  });
});

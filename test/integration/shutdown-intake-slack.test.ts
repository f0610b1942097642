/**
 * `cairn start` stopping (SIGTERM of a restart) on Slack: the turn in flight finishes and its answer is
 * posted, but an event that comes meanwhile is left unacknowledged (Socket Mode: no ack; HTTP: 503), so
 * Slack sends it again, to the next process, instead of it being acknowledged and answered "Cairn is
 * restarting". A slash command, which Slack never sends again, is still acknowledged and told to retry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';
import { HeldModel, eventually } from '../helpers/held-model.js';

const RESTARTING = 'Cairn is restarting. Please send that again in a minute.';
const SIGNING_SECRET = 'fake-signing-secret-0123456789';

let running: RunningCairn | undefined;
const closers: (() => unknown)[] = [];
const models: HeldModel[] = [];
afterEach(async () => {
  for (const model of models.splice(0)) model.open();
  await running?.stop().catch(() => undefined);
  running = undefined;
  for (const close of closers.splice(0).reverse()) await close();
});

async function slackStart(slack: FakeSlackApi, env: Record<string, string>): Promise<{ running: RunningCairn; model: HeldModel }> {
  const model = new HeldModel();
  models.push(model);
  const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', CAIRN_SHUTDOWN_GRACE_MS: '60000', CAIRN_REFLECTION: 'off', SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1', ...env }, tempDir());
  running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1', model, timers: new ManualTimers(), sleep: async () => {} });
  return { running, model };
}

const dm = (text: string, ts: string) => ({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text, ts });

describe('Slack while cairn start stops', () => {
  it('Socket Mode: an event during the drain is not acknowledged, a slash command is told to retry, the turn in flight still answers', async () => {
    const slack = await startFakeSlackApi();
    closers.push(() => slack.close());
    const { running: first, model } = await slackStart(slack, { SLACK_APP_TOKEN: slack.appToken });
    const events = new SlackEventSender('http://127.0.0.1:1/unused', 'unused', slack);
    await slack.pushSocket('events_api', events.envelope(dm('a long job', '1700.1'), 'Ev1'));
    await eventually(() => model.asked.length === 1, 'the turn to reach the model');

    const stopping = first.stop();
    let acked = false;
    void slack.pushSocket('events_api', events.envelope(dm('are you there?', '1700.2'), 'Ev2')).then(() => (acked = true));
    // A slash command is acknowledged (Slack never sends one again) and told to send it again.
    await slack.pushSocket('slash_commands', { command: '/cairn', text: 'what now?', team_id: 'T1', channel_id: 'C1', user_id: 'U1', user_name: 'ada', trigger_id: 't1', response_url: slack.responseUrl('C1') });
    await slack.waitForMessages(1, (post) => post.channel === 'C1');
    expect(acked).toBe(false);
    expect(slack.posts.filter((post) => post.channel === 'D1').map((post) => post.text)).toEqual([]);

    model.open();
    await stopping;
    running = undefined;
    expect(acked).toBe(false);
    expect(slack.posts.map((post) => [post.channel, post.text])).toEqual([
      ['C1', RESTARTING],
      ['D1', 're: a long job'],
    ]);
  });

  it('HTTP: an event during the drain gets 503 (Slack sends it again), a slash command is told to retry, the turn in flight still answers', async () => {
    const slack = await startFakeSlackApi();
    closers.push(() => slack.close());
    const { running: first, model } = await slackStart(slack, { SLACK_SIGNING_SECRET: SIGNING_SECRET });
    const events = new SlackEventSender(`http://127.0.0.1:${first.port}/slack/events`, SIGNING_SECRET, slack);
    expect((await events.message({ text: 'a long job' })).status).toBe(200);
    await eventually(() => model.asked.length === 1, 'the turn to reach the model');

    const stopping = first.stop();
    expect((await events.message({ text: 'are you there?' })).status).toBe(503);
    expect(await events.slash({ text: 'what now?' })).toBe(200);
    await slack.waitForMessages(1, (post) => post.channel === 'C1');
    expect(slack.posts.filter((post) => post.channel === 'D1').map((post) => post.text)).toEqual([]);

    model.open();
    await stopping;
    running = undefined;
    expect(slack.posts.map((post) => [post.channel, post.text])).toEqual([
      ['C1', RESTARTING],
      ['D1', 're: a long job'],
    ]);
  });
});

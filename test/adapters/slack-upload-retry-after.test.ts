/**
 * Sharing a file takes three steps: files.getUploadURLExternal and files.completeUploadExternal
 * go through the Web API client, which rejects a 429 with its Retry-After (waited by
 * withRetries); the bytes go to the upload URL by plain fetch, whose 429 carried no wait, so the
 * retry came after a short backoff, before Slack allowed it. Each step now waits what Slack asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

let model: FakeModelServer;
let slack: FakeSlackApi;
let cairn: TestCairn;
let adapter: SlackAdapter;
const waits: number[] = [];

afterEach(async () => {
  await adapter.stop();
  await slack.close();
  await cairn.close();
  await model.close();
  waits.length = 0;
});

async function start(): Promise<void> {
  model = await startFakeModelServer();
  slack = await startFakeSlackApi();
  cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 'secret-0123456789', SLACK_API_URL: slack.url }));
  adapter = new SlackAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async (ms) => void waits.push(ms) }, { timer: new ManualTimers().timer });
  await adapter.start(async () => {});
}

const file = { name: 'report.txt', bytes: Buffer.from('all green') };

describe('Slack file upload under rate limits', () => {
  it('waits the Retry-After of each step', async () => {
    await start();
    slack.failNext('files.getUploadURLExternal', { status: 429, retryAfter: 7 });
    slack.failNext('upload', { status: 429, retryAfter: 11 });
    slack.failNext('files.completeUploadExternal', { status: 429, retryAfter: 13 });
    await adapter.send('slack:T1:C1', { text: 'here', files: [file] });
    expect(slack.posts.map((post) => post.files?.[0]?.name)).toEqual(['report.txt']);
    expect(waits).toEqual([7000, 11000, 13000]);
  });
});

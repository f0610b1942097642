/** Slack's app_rate_limited notice over HTTP (Events API): a body with no inner event. */
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { startFakeModelServer } from '../fakes/model-server.js';
import { signSlackRequest, startFakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { SlackAdapter } from '../../adapters/slack/index.js';

const SECRET = 'fake-signing-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('answers Slack\'s app_rate_limited notice at once with 200 and warns that messages may be lost, instead of a 404 after 3 s and "not acknowledged" error', async () => {
  const model = await startFakeModelServer();
  const slack = await startFakeSlackApi();
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({ level: 'trace', format: 'json', destination: { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) } });
  const cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: SECRET, SLACK_ALLOWED_USERS: 'U1' }));
  const http = new HttpServer();
  const adapter = new SlackAdapter({ config: cairn.config, http, logger, commands: cairn.commands, sleep: async () => {} });
  cairn.gateway.attach(adapter);
  const port = await http.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await adapter.stop();
    await http.close();
    await slack.close();
    await cairn.close();
    await model.close();
  });
  await adapter.start(cairn.gateway.receive);
  const body = JSON.stringify({ token: 'legacy-verification-token', type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1_518_467_820, api_app_id: 'A1' });
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...signSlackRequest(SECRET, body) }, body });
  const tookMs = performance.now() - started;
  expect(response.status).toBe(200);
  expect(tookMs).toBeLessThan(2_000);
  expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  expect(lines.some((l) => l.level === 40 && /rate-limiting the events/.test(l.msg))).toBe(true);
});

/**
 * Socket Mode turned off in the Slack app's settings: Slack closes the connection with a
 * `disconnect` message, reason link_disabled, and closes every new one the same way. Cairn
 * reconnected for ever (every 60 s at last) while /healthz said ok, and at start it said only
 * that the connection closed before Slack's hello. Now it stops and says what to change. Also:
 * a reconnect refused with a 429 waits the Retry-After, not only its own backoff.
 * The real Bolt and @slack/socket-mode against the fake's WebSocket, on the injected timer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';

let model: FakeModelServer;
let slack: FakeSlackApi;
let cairn: TestCairn;
let adapter: SlackAdapter;
afterEach(async () => {
  await adapter.stop();
  await cairn.close();
  await slack.close();
  await model.close();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function setup(): Promise<ManualTimers> {
  model = await startFakeModelServer();
  slack = await startFakeSlackApi();
  cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url }));
  const timers = new ManualTimers();
  adapter = new SlackAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
  return timers;
}

describe('Slack Socket Mode turned off in the app settings (link_disabled)', () => {
  it('stops reconnecting and reports unhealthy, saying what to do', async () => {
    const timers = await setup();
    await adapter.start(async () => {});
    expect(slack.sockets()).toBe(1);

    slack.disableSocketMode();
    await until(() => slack.sockets() === 0, 'the socket to close');
    await until(() => timers.active().length > 0 || !adapter.health().ok, 'the adapter to react');
    expect(adapter.health()).toEqual({ ok: false, problem: expect.stringMatching(/Socket Mode was turned off.*link_disabled/) });
    expect(timers.active()).toEqual([]);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(1);
  });

  it('stops when Socket Mode is turned off while a dropped connection is being reconnected', async () => {
    const timers = await setup();
    await adapter.start(async () => {});
    slack.dropSockets();
    slack.disableSocketMode();
    (await timers.next(1_000)).fire();
    await until(() => !adapter.health().ok, 'the adapter to report unhealthy');
    expect(adapter.health().problem).toMatch(/^Socket Mode stopped: Socket Mode was turned off .*link_disabled.*restart Cairn/);
    expect(timers.active()).toEqual([]);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(2);
  });

  it('refuses to start, saying why, when Socket Mode is off from the start', async () => {
    await setup();
    slack.disableSocketMode();
    await expect(adapter.start(async () => {})).rejects.toThrow(/Socket Mode was turned off in the Slack app's settings \(link_disabled\)/);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(1);
  });
});

describe('Slack Socket Mode reconnect under a rate limit', () => {
  it('waits what Slack asked before the next attempt', async () => {
    const timers = await setup();
    await adapter.start(async () => {});
    slack.dropSockets();
    slack.failNext('apps.connections.open', { status: 429, retryAfter: 30 });
    (await timers.next(1_000)).fire();
    await until(() => adapter.health().problem !== undefined, 'the failed attempt');
    expect(adapter.health().problem).toMatch(/^Socket Mode connection lost; reconnecting \(attempt 2 in 30 s\)/);
    expect(timers.active()).toEqual([30_000]);
    (await timers.next(30_000)).fire();
    await until(() => slack.sockets() === 1, 'the reconnect');
  });
});

/**
 * Slack over Socket Mode when the connection drops: the real Bolt and @slack/socket-mode
 * against the fake's WebSocket, reconnection on the injected timer (nothing waits for
 * real), and what health() tells /healthz meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { STABLE_CONNECTION_MS, reconnectDelayMs } from '../../adapters/slack/socket-mode.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Setup {
  slack: FakeSlackApi;
  adapter: SlackAdapter;
  cairn: TestCairn;
  timers: ManualTimers;
  /** A DM over the socket, answered by the echo model. */
  talk(text: string): Promise<string | undefined>;
}

async function setup(beforeStart: (slack: FakeSlackApi) => void = () => {}): Promise<Setup> {
  const model: FakeModelServer = await startFakeModelServer();
  const slack = await startFakeSlackApi();
  beforeStart(slack);
  const http = new HttpServer();
  const cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1' }));
  const timers = new ManualTimers();
  const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
  cairn.gateway.attach(adapter);
  cleanups.push(async () => {
    await adapter.stop();
    await cairn.close();
    await http.close();
    await slack.close();
    await model.close();
  });
  await adapter.start(cairn.gateway.receive);
  const events = new SlackEventSender('http://127.0.0.1:1/unused', 'unused-signing-secret', slack);
  let sent = 0;
  const talk = async (text: string) => {
    sent++;
    await slack.pushSocket('events_api', events.envelope({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text, ts: `1700.${sent}` }, `EvSock${sent}`));
    return (await slack.waitForMessages(sent))[sent - 1]?.text;
  };
  return { slack, adapter, cairn, timers, talk };
}

describe('Slack Socket Mode reconnection', () => {
  it('reconnects after 1 s when Slack asks for it or the connection drops, and keeps answering', async () => {
    const { slack, adapter, timers, talk } = await setup();
    expect(await talk('before')).toBe('echo: before');

    slack.askToReconnect();
    await until(() => slack.sockets() === 0, 'the refreshed socket to close');
    (await timers.next(1_000)).fire();
    await until(() => slack.sockets() === 1, 'the new socket');
    expect(await talk('after a refresh')).toBe('echo: after a refresh');
    // The connection holds a minute: the wait starts over.
    (await timers.next(STABLE_CONNECTION_MS)).fire();

    slack.dropSockets();
    (await timers.next(1_000)).fire();
    await until(() => slack.sockets() === 1, 'the socket after a drop');
    expect(await talk('after a drop')).toBe('echo: after a drop');
    expect(adapter.health()).toEqual({ ok: true });
    expect(slack.callsTo('apps.connections.open')).toHaveLength(3);
  });

  it('backs off while reconnecting fails, says so in its health, and is whole again once connected', async () => {
    const { slack, adapter, cairn, timers, talk } = await setup();
    slack.dropSockets();
    slack.failNext('apps.connections.open', 'outage');
    (await timers.next(1_000)).fire();
    const second = await timers.next(2_000);
    expect(adapter.health()).toMatchObject({ ok: true, problem: expect.stringMatching(/^Socket Mode connection lost; reconnecting \(attempt 2 in 2 s\): Slack answered HTTP 503/) });
    expect(cairn.gateway.platformStates()).toContainEqual({ platform: 'slack', health: adapter.health() });

    // The socket itself refused: the client closes before Slack's hello.
    slack.refuseNextSocket();
    second.fire();
    await timers.next(4_000).then((third) => {
      expect(adapter.health().problem).toContain('the connection closed before Slack said hello');
      third.fire();
    });
    await until(() => adapter.health().problem === undefined, 'the third attempt to connect');
    expect(adapter.health()).toEqual({ ok: true });
    expect(slack.sockets()).toBe(1);
    expect(await talk('back')).toBe('echo: back');

    // The count starts over once a connection has held a minute.
    (await timers.next(STABLE_CONNECTION_MS)).fire();
    slack.dropSockets();
    (await timers.next(1_000)).fire();
    await until(() => slack.sockets() === 1, 'the next reconnect');
  });

  it('backs off when Slack closes each new connection right after it opens (too_many_websockets), instead of reconnecting every second', async () => {
    const { slack, timers } = await setup();
    slack.dropSockets();
    (await timers.next(1_000)).fire();
    await until(() => slack.sockets() === 1, 'the first reconnect');
    // Closed again before it held a minute: the next wait is longer, and the one after longer still.
    slack.dropSockets();
    (await timers.next(2_000)).fire();
    await until(() => slack.sockets() === 1, 'the second reconnect');
    slack.dropSockets();
    (await timers.next(4_000)).fire();
    await until(() => slack.sockets() === 1, 'the third reconnect');
  });

  it('stops for good when Slack refuses the app token, and says what to fix; the process lives on', async () => {
    const { slack, adapter, timers } = await setup();
    slack.dropSockets();
    slack.failNext('apps.connections.open', { error: 'invalid_auth' });
    (await timers.next(1_000)).fire();
    await until(() => !adapter.health().ok, 'the refusal to show');
    expect(adapter.health().problem).toMatch(/^Socket Mode stopped: Slack refused the app-level token \(invalid_auth\)\. Check SLACK_APP_TOKEN .* and restart Cairn\.$/);
    expect(timers.active()).toEqual([]);
    expect(slack.sockets()).toBe(0);
  });

  it('cancels a waiting attempt when stopped', async () => {
    const { slack, adapter, timers } = await setup();
    slack.dropSockets();
    await until(() => timers.active().includes(1_000), 'the attempt to wait');
    await adapter.stop();
    expect(timers.active()).toEqual([]);
    expect(adapter.health()).toEqual({ ok: true });
  });

  it('tries the first connection again when Slack is briefly unavailable, and refuses to start with a refused app token', async () => {
    const { slack, talk } = await setup((fake) => fake.failNext('apps.connections.open', 'outage'));
    expect(slack.callsTo('apps.connections.open')).toHaveLength(2);
    expect(await talk('hello')).toBe('echo: hello');

    const refused = await startFakeSlackApi();
    cleanups.push(() => refused.close());
    const http = new HttpServer();
    const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', { SLACK_BOT_TOKEN: refused.botToken, SLACK_APP_TOKEN: 'xapp-revoked', SLACK_API_URL: refused.url }));
    cleanups.push(async () => {
      await cairn.close();
      await http.close();
    });
    const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} });
    await expect(adapter.start(cairn.gateway.receive)).rejects.toThrow(/invalid_auth/);
    expect(refused.callsTo('apps.connections.open')).toHaveLength(1);
  });

  it('waits 1, 2, 4 … up to 60 s between attempts', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(reconnectDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });
});

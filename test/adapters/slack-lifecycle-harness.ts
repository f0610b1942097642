/** Set-up for the Slack lifecycle tests: the real Bolt against the loopback fake, optionally behind a proxy that plays Slack's limits the fake lacks. */
import { expect } from 'vitest';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { signSlackRequest, SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import type { HandleOutcome } from '../../src/core/gateway.js';

export const SIGNING_SECRET = 'fake-signing-secret-0123456789';

/** Decides a Web API call's answer itself (return a JSON body), holds it (return a promise), or lets the fake answer (undefined). */
export type Intercept = (method: string, raw: string) => Promise<unknown> | unknown;

/** A loopback proxy in front of the fake's Web API, answering by Slack method name. */
function startSlackProxy(fake: FakeSlackApi, intercept: Intercept): Promise<Proxy> {
  return startProxy(fake.url, async (_method, path, body) => {
    const own = await intercept(/\/api\/([\w.]+)/.exec(path)?.[1] ?? '', body);
    return own === undefined ? undefined : { status: 200, body: own };
  });
}

/** The text of a Web API body's section blocks, as Slack would count it. */
export function blockChars(raw: string): number {
  let blocks: unknown;
  try {
    const json = JSON.parse(raw) as { blocks?: unknown };
    blocks = json.blocks;
  } catch {
    const value = new URLSearchParams(raw).get('blocks');
    blocks = value ? JSON.parse(value) : undefined;
  }
  if (!Array.isArray(blocks)) return 0;
  return (blocks as { text?: { text?: string } }[]).reduce((sum, block) => sum + (block.text?.text?.length ?? 0), 0);
}

export interface Setup {
  slack: FakeSlackApi;
  model: FakeModelServer;
  cairn: TestCairn;
  timers: ManualTimers;
  adapter: SlackAdapter;
  events: SlackEventSender;
  /** What the gateway made of each message the adapter pushed in, in order. */
  outcomes: Promise<HandleOutcome>[];
  close(): Promise<void>;
}

export async function setup(options: { socket?: boolean; intercept?: Intercept; env?: Record<string, string>; beforeStart?: (slack: FakeSlackApi) => void; start?: boolean } = {}): Promise<Setup> {
  const model = await startFakeModelServer();
  const slack = await startFakeSlackApi();
  const proxy = options.intercept ? await startSlackProxy(slack, options.intercept) : undefined;
  const timers = new ManualTimers();
  const env = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: proxy ? `${proxy.url}/` : slack.url,
    SLACK_ALLOWED_USERS: 'U1',
    ...(options.socket ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...options.env,
  };
  const cairn = startTestCairn(testConfig(model.url, env));
  const http = new HttpServer();
  const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
  cairn.gateway.attach(adapter);
  const port = await http.listen(0, '127.0.0.1');
  const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, slack);
  const outcomes: Promise<HandleOutcome>[] = [];
  const close = async () => {
    await adapter.stop();
    await http.close();
    await proxy?.close();
    await slack.close();
    await cairn.close();
    await model.close();
  };
  options.beforeStart?.(slack);
  if (options.start !== false) {
    await adapter.start((message) => {
      const outcome = cairn.gateway.receive(message);
      outcomes.push(outcome);
      return outcome;
    });
  }
  return { slack, model, cairn, timers, adapter, events, outcomes, close };
}

/** Posts one signed event from team T1 with whatever fields it carries, as Slack does, and expects Cairn to take it (200). */
export async function postEvent(w: Setup, event: Record<string, unknown>, eventId: string): Promise<void> {
  const body = JSON.stringify(w.events.envelope({ team: 'T1', ...event }, eventId));
  expect(await w.events.raw(body, signSlackRequest(SIGNING_SECRET, body))).toBe(200);
}

/** The user messages of the model's `index`th request: what the model read. */
export const userTexts = (w: Setup, index: number) => (w.model.chatRequests()[index]?.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user').map((m) => m.content);

export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

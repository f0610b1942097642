/** The Slack adapter through Slack's limits and its connection's ups and downs: real Bolt against the loopback fake Slack. */
import { afterEach, describe, expect, it } from 'vitest';
import { blockChars, setup, until, type Setup } from './slack-lifecycle-harness.js';

const open: Setup[] = [];
afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close();
});
async function started(options: Parameters<typeof setup>[0] = {}): Promise<Setup> {
  const s = await setup(options);
  open.push(s);
  return s;
}

/** Slack refuses a message whose blocks hold more than about 13,200 characters (msg_blocks_too_long), though its text may hold 40,000. */
const SLACK_BLOCKS_LIMIT = 13_000;
const refuseLongBlocks = (method: string, raw: string) =>
  (method === 'chat.postMessage' || method === 'chat.update') && blockChars(raw) > SLACK_BLOCKS_LIMIT ? { ok: false, error: 'msg_blocks_too_long' } : undefined;

describe('Slack lifecycle', () => {
  it('delivers a long answer (about 20,000 characters) that Slack refuses as blocks with msg_blocks_too_long, instead of losing it', async () => {
    const s = await started({ intercept: refuseLongBlocks, env: { CAIRN_STREAM_REPLIES: 'false' } });
    const paragraph = 'The deploy pipeline builds, tests and ships every service in turn; each stage logs what it did. ';
    const answer = Array.from({ length: 200 }, (_, i) => `${i + 1}. ${paragraph}`).join('\n\n');
    expect(answer.length).toBeGreaterThan(19_000);
    expect(answer.length).toBeLessThan(40_000);
    s.model.enqueue({ text: answer });
    await s.events.message({ text: 'explain the whole pipeline', channel: 'D1', channelType: 'im' });
    await until(() => s.outcomes.length === 1, 'the message to reach the core');
    expect(await s.outcomes[0]).toBe('turn');
    const shown = s.slack.posts.filter((p) => p.channel === 'D1').map((p) => p.text).join('\n');
    // Every numbered paragraph reaches the person, formatted or as plain text.
    expect(shown).toContain('1. The deploy pipeline');
    expect(shown).toContain('200. The deploy pipeline');
  });

  it('retries the first Socket Mode connection when the socket closes before Slack says hello (as a reconnect does), instead of failing the start with "Slack call failed: undefined"', async () => {
    const s = await started({ socket: true, start: false });
    s.slack.refuseNextSocket();
    await expect(s.adapter.start(s.cairn.gateway.receive)).resolves.toBeUndefined();
    await until(() => s.slack.sockets() === 1, 'the socket');
  });

  it('leaves no Socket Mode connection open after stop() when it was called while a reconnect waited on apps.connections.open', async () => {
    let opens = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const s = await started({
      socket: true,
      intercept: async (method) => {
        if (method === 'apps.connections.open' && ++opens === 2) await held;
        return undefined;
      },
    });
    expect(s.slack.sockets()).toBe(1);
    // The Socket Mode client the adapter reconnects; its start() is watched to know when the attempt is over.
    const client = (s.adapter as unknown as { socketMode: { client: { start(): Promise<unknown> } } }).socketMode.client;
    let attemptOver = false;
    const start = client.start.bind(client);
    client.start = () => {
      const attempt = start();
      attempt.then(
        () => (attemptOver = true),
        () => (attemptOver = true),
      );
      return attempt;
    };
    s.slack.dropSockets();
    (await s.timers.next(1_000)).fire();
    await until(() => opens === 2, 'the reconnect to ask for a new URL');
    // Shutdown (SIGTERM, or a lost instance lease) while the reconnect is under way.
    await s.adapter.stop();
    release();
    await until(() => attemptOver, 'the reconnect attempt to end');
    // A connection opened after stop takes events (Bolt acks them) that no one answers, and keeps the process alive.
    await until(() => s.slack.sockets() === 0, 'no Socket Mode connection to be left open after stop');
  });

  it("survives Slack's app_rate_limited notice over Socket Mode (an events_api envelope without an inner event): no unhandled rejection, which would end the process", async () => {
    const s = await started({ socket: true });
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      // What Slack sends a busy workspace's app past 30,000 events an hour (no `event` inside).
      void s.slack.pushSocket('events_api', { token: 'legacy-verification-token', type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1_518_467_820, api_app_id: 'A1' });
      // Cairn goes on answering; by the time it has, a rejection of that envelope has surfaced.
      await s.slack.pushSocket('events_api', s.events.envelope({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'still there?', ts: '1700.1' }, 'EvAfterLimit'));
      await s.slack.waitForMessages(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

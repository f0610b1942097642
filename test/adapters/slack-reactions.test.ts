/** 👍 / 👎 on Cairn's Slack replies count as feedback on that task (real Bolt, signed events). */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { SlackEventSender, signSlackRequest, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { DatabaseSentReplies, SentReplies } from '../../src/core/sent-replies.js';

const SIGNING_SECRET = 'fake-signing-secret-0123456789';

let model: FakeModelServer;
let slack: FakeSlackApi;
let cairn: TestCairn;
let adapter: SlackAdapter;
const http = new HttpServer();

afterEach(async () => {
  await adapter.stop();
  await cairn.close();
  await http.close();
  await slack.close();
  await model.close();
});

async function until(condition: () => boolean): Promise<void> {
  // Poll (not sleep) for the loopback round trips to finish.
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The adapter `cairn start` builds: its replies kept in the database. */
const newAdapter = () =>
  new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {}, sentReplies: (platform) => new SentReplies(5_000, new DatabaseSentReplies(cairn.db, platform)) });

async function setUp(): Promise<SlackEventSender> {
  model = await startFakeModelServer();
  slack = await startFakeSlackApi();
  cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1' }));
  adapter = newAdapter();
  cairn.gateway.attach(adapter);
  const port = await http.listen(0, '127.0.0.1');
  const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, slack);
  await adapter.start(cairn.gateway.receive);
  return events;
}

/** Signs and sends a reaction_added event on message `ts` of the DM. */
function react(events: SlackEventSender, ts: string, reaction: string, eventId: string, eventTs = '1600000999.000001'): Promise<number> {
  const body = JSON.stringify(events.envelope({ type: 'reaction_added', user: 'U1', reaction, item: { type: 'message', channel: 'D1', ts }, event_ts: eventTs }, eventId));
  return events.raw(body, { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, body) });
}

describe('slack reactions', () => {
  it('turns 👎 on a reply into bad feedback, and ignores reactions on other messages', async () => {
    const events = await setUp();
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    const question = await events.message({ text: 'what time is it?' });
    await until(() => slack.posts.length === 1);
    await cairn.learning.idle();
    const reply = slack.posts[0]!;

    expect(await react(events, question.ts, '-1', 'EvR1')).toBe(200);
    expect(await react(events, reply.ts, '-1', 'EvR2')).toBe(200);
    await until(() => slack.posts.length === 2);
    await cairn.learning.idle();
    expect(slack.posts[1]?.text).toContain('Thanks for telling me');
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ feedback: 'bad', outcome: 'failure', outcomeSource: 'feedback' });
  });

  it('takes 👍 on a reply sent before a restart as feedback on its turn (the adapter forgot its replies)', async () => {
    const events = await setUp();
    // A turn with a tool call: a task in the database at once, found after a restart too.
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Paris, and it is nine there.' });
    await events.message({ text: 'capital of France?' });
    await until(() => slack.posts.length === 1);
    await cairn.learning.idle();
    // A deploy: a new adapter, on the same database.
    await adapter.stop();
    adapter = newAdapter();
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);
    expect(await react(events, slack.posts[0]!.ts, '+1', 'EvR9')).toBe(200);
    await until(() => cairn.learning.tasks.recent(1)[0]?.feedback !== undefined);
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ request: 'capital of France?', feedback: 'good' });
  });

  it('takes 👎 on an older reply as feedback on the turn that sent it, not on the latest task', async () => {
    const events = await setUp();
    model.enqueue({ text: 'Paris.' }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    await events.message({ text: 'capital of France?' });
    await until(() => slack.posts.length === 1);
    await events.message({ text: 'time?' });
    await until(() => slack.posts.length === 2);
    await cairn.learning.idle();
    expect(await react(events, slack.posts[0]!.ts, '-1', 'EvR3')).toBe(200);
    await until(() => slack.posts.length === 3);
    await cairn.learning.idle();
    const [judged, latest] = cairn.learning.tasks.recent(2);
    expect([judged?.request, judged?.feedback, judged?.outcome]).toEqual(['capital of France?', 'bad', 'failure']);
    expect([latest?.request, latest?.feedback]).toEqual(['time?', undefined]);
  });
  it('takes the last of 👍, 👎, 👍 as the verdict, and a re-delivered reaction once', async () => {
    const events = await setUp();
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Restart the pod.' });
    await events.message({ text: 'how do I fix the deploy?' });
    await until(() => slack.posts.length === 1);
    await cairn.learning.idle();
    const reply = slack.posts[0]!;
    const verdict = () => cairn.learning.tasks.recent(1)[0]?.feedback;

    await react(events, reply.ts, '+1', 'EvF1', '1700000010.000001');
    // Slack sends an event again when it missed the acknowledgement: the same event_ts, not answered twice.
    await react(events, reply.ts, '+1', 'EvF1', '1700000010.000001');
    await react(events, reply.ts, '-1', 'EvF2', '1700000020.000001');
    await until(() => slack.posts.length === 3);
    await cairn.learning.idle();
    expect(verdict()).toBe('bad');
    // Changed their mind again: the same verdict as the first, in an event of its own.
    await react(events, reply.ts, '+1', 'EvF3', '1700000030.000001');
    await until(() => slack.posts.length === 4);
    await cairn.learning.idle();
    expect(verdict()).toBe('good');
    expect(slack.posts.slice(1).map((post) => post.text)).toEqual(['Thanks! Noted that this worked.', "Thanks for telling me. I'll look at what went wrong and do better next time.", 'Thanks! Noted that this worked.']);
  });
});

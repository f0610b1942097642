/**
 * A busy Discord community server, through the real adapter against the loopback fake: members
 * use `/ask` at once in #general and in a thread, a daily allowance per person is set, the model
 * answers with @everyone and a role mention in a text of a dozen messages, Discord rate-limits a
 * reply, a stranger uses `/ask` and then DMs the bot, and a streamed draft's post is answered too
 * late. What a member sees: nobody is pinged, every part arrives once, the allowance refusal goes
 * into the asker's own deferred reply, the stranger's "thinking…" goes away and their DM gets a
 * pairing code, and a draft whose answer was lost is not posted a second time.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { APP_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, THREAD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { BOB, USER as ADA, useDiscordRigs } from '../helpers/discord-rig.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { CommandRegistry } from '../../src/core/commands.js';
import type { ChatBody, FakeReply } from '../fakes/model-server.js';
import { GatedModel } from '../helpers/gated-model.js';

const EVE = { id: '400000000000000003', username: 'eve', discriminator: '0', global_name: 'Eve', avatar: null };
const ROLE = '200000000000000009';
/** Every model request reports 1,000 tokens: a person's first request today spends the whole allowance. */
const ENV = { CAIRN_USER_DAILY_TOKENS: '1000' };
const startRig = useDiscordRigs();

/** `/ask` as Discord delivers it in the thread of #general. */
function askInThread(id: string, token: string, prompt: string, user: Record<string, unknown>): Record<string, unknown> {
  return { ...askInteraction(id, token, prompt, user), channel_id: THREAD_ID, channel: { id: THREAD_ID, type: 11, guild_id: GUILD_ID, parent_id: CHANNEL_ID } };
}

/** The messages posted through one interaction's token, in order: its deferred reply, then its follow-ups (the fake keeps one body for both records). */
function answerOf(fake: FakeDiscord, token: string): { content: string; body: Record<string, unknown> }[] {
  return fake.sent.filter((message) => fake.calls.some((call) => call.body === message.body && call.path.includes(`/${token}`)));
}

/** A dozen messages' worth of answer, each part shouting at everyone and a role. */
const LONG_ANSWER = Array.from({ length: 12 }, (_, i) => `Part ${i + 1}: @everyone and <@&${ROLE}>, read this. ${'word '.repeat(360)}`).join('\n\n');

it('answers a busy server without pinging anyone, once per part, with the allowance refusal in the asker’s own reply', async () => {
  const rig = await startRig(ENV);
  rig.model.setDefault((request) => {
    const asked = JSON.stringify((request.body as ChatBody).messages.at(-1)?.content ?? '');
    const text = asked.includes('release notes') ? LONG_ANSWER : asked.includes('deploy') ? 'A missing migration broke it.' : 'I am not sure.';
    return { text, usage: { prompt_tokens: 900, completion_tokens: 100 } } as FakeReply;
  });

  // Ada asks in #general, Bob in the thread, Eve (no access) in #general, all at once.
  rig.fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000101', 'ada-token-1', 'write the release notes', ADA));
  rig.fake.dispatch('INTERACTION_CREATE', askInThread('800000000000000102', 'bob-token-1', 'what broke in the deploy?', BOB));
  rig.fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000103', 'eve-token-1', 'hello?', EVE));
  await rig.settled(3);

  const ada = answerOf(rig.fake, 'ada-token-1');
  expect(ada.length).toBeGreaterThanOrEqual(12);
  expect(ada.map((part) => part.content).join('\n\n').match(/Part \d+:/g)).toHaveLength(12);
  // Nobody is pinged by the model's @everyone or role mention, in any part.
  expect(rig.fake.sent.every((message) => JSON.stringify(message.body.allowed_mentions) === '{"parse":[]}')).toBe(true);
  expect(answerOf(rig.fake, 'bob-token-1').map((part) => part.content)).toEqual(['A missing migration broke it.']);
  // Eve gets no answer: her "thinking…" is removed, and the model never heard her.
  await rig.fake.waitForCall('DELETE', /\/webhooks\/\d+\/eve-token-1\/messages\/(?:@|%40)original$/);
  expect(rig.model.chatRequests().some((request) => JSON.stringify(request.messages).includes('hello?'))).toBe(false);

  // Bob spent his allowance: his next /ask is refused in its own deferred reply, not in a channel message.
  rig.fake.dispatch('INTERACTION_CREATE', askInThread('800000000000000104', 'bob-token-2', 'and the rollback?', BOB));
  await rig.settled(4);
  const refusal = answerOf(rig.fake, 'bob-token-2');
  expect(refusal.map((part) => part.content)).toEqual([expect.stringMatching(/^You have used today's allowance of 1,000 tokens\. It renews at 00:00 UTC/)]);
  expect(rig.fake.sent.filter((message) => message.kind === 'channel')).toEqual([]);

  // Ada's long answer spent hers: her next /ask is refused in its own reply too, once, though Discord rate-limits the first try.
  rig.fake.failNextSend('rate-limit');
  rig.fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000105', 'ada-token-2', 'and the changelog?', ADA));
  await rig.settled(5);
  expect(answerOf(rig.fake, 'ada-token-2').map((part) => part.content)).toEqual([expect.stringMatching(/^You have used today's allowance/)]);

  // Eve writes to the bot directly: a pairing code, and still no model reply.
  rig.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000201', DM_CHANNEL_ID, EVE, 'hi, can I use you?'), channel_type: 1 });
  await rig.settled(6);
  const pairing = rig.fake.sent.filter((message) => message.channelId === DM_CHANNEL_ID);
  expect(pairing.map((message) => message.content)).toEqual([expect.stringMatching(/\b[A-HJKMNP-TV-Z0-9]{8}\b/)]);
});

it('retries a rate-limited answer once per part, with no part posted twice', async () => {
  const rig = await startRig();
  rig.model.setDefault(() => ({ text: `${'a'.repeat(1990)}\n\nsecond part` }));
  rig.fake.failNextSend('rate-limit');
  rig.fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000111', 'ada-token-3', 'in two parts', ADA));
  await rig.settled(1);
  const parts = answerOf(rig.fake, 'ada-token-3');
  expect(parts.map((part) => part.content)).toEqual(['a'.repeat(1990), 'second part']);
  expect(rig.fake.calls.filter((call) => call.method === 'PATCH' && call.path.includes('ada-token-3'))).toHaveLength(2);
});

/**
 * In front of the fake: honours `enforce_nonce` as Discord does (a repeated nonce gets the message made
 * before), and holds back the answer to the first message posted: Discord made it, its answer never comes.
 */
async function lossyDiscord(fake: FakeDiscord): Promise<{ apiUrl: string; close: () => Promise<void> }> {
  const target = new URL(fake.apiUrl);
  const byNonce = new Map<string, { status: number; type: string; body: Buffer }>();
  let held = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const posting = req.method === 'POST' && /\/channels\/\d+\/messages$/.test(req.url ?? '') && (req.headers['content-type'] ?? '').includes('json');
      const parsed = posting ? (JSON.parse(body.toString() || '{}') as { nonce?: string; enforce_nonce?: boolean }) : {};
      const nonce = parsed.enforce_nonce ? parsed.nonce : undefined;
      const earlier = nonce ? byNonce.get(nonce) : undefined;
      if (earlier) return void res.writeHead(earlier.status, { 'content-type': earlier.type }).end(earlier.body);
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        const got: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => got.push(chunk));
        answer.on('end', () => {
          const kept = { status: answer.statusCode ?? 502, type: String(answer.headers['content-type'] ?? 'application/json'), body: Buffer.concat(got) };
          if (nonce) byNonce.set(nonce, kept);
          if (posting && !held) return void (held = true);
          res.writeHead(kept.status, { 'content-type': kept.type }).end(kept.body);
        });
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('posts a streamed draft once when the answer to its first post was lost (timeout), so no half answer stays above the answer', async () => {
  const fake = await startFakeDiscord();
  cleanups.push(() => fake.close());
  const lossy = await lossyDiscord(fake);
  cleanups.push(() => lossy.close());
  const timers = new ManualTimers();
  const config = testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: lossy.apiUrl });
  const adapter = new DiscordAdapter({ config, http: new HttpServer(), logger: silentLogger, commands: new CommandRegistry(), sleep: async () => {} }, { timer: timers.timer, now: () => 1_700_000_000_000, restTimeoutMs: 150 });
  cleanups.push(() => adapter.stop());
  await adapter.start(async () => {});
  const conversation = `discord:${GUILD_ID}:${CHANNEL_ID}`;
  const question = '610000000000000001';

  adapter.progress(conversation, { type: 'text-delta', text: 'The first half of the answer' }, question);
  (await timers.next(1_200)).fire();
  // The post timed out (Discord made the message; its answer was lost): the draft tries again, backing off.
  (await timers.next(2_400)).fire();
  await fake.waitForSent(1);
  await adapter.send(conversation, { text: 'The whole answer.', replyTo: question, endsTurn: true });

  const shown = fake.sent.filter((message) => message.kind === 'channel').map((message) => fake.contentOf(message.id));
  expect(shown).toEqual(['The whole answer.']);
});

it('posts "Still working on it…" for a long mention turn while another member\'s /ask waits behind it', async () => {
  const gated = new GatedModel();
  const timers = new ManualTimers();
  const fake = await startFakeDiscord();
  cleanups.push(() => fake.close());
  const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', { DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: fake.apiUrl, DISCORD_ALLOWED_USERS: `${ADA.id},${BOB.id}` }), { model: gated });
  cleanups.push(() => cairn.close());
  const adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer, now: () => 1_700_000_000_000 });
  cleanups.push(() => adapter.stop());
  cairn.gateway.attach(adapter);
  const handled: Promise<unknown>[] = [];
  await adapter.start((message) => {
    const done = cairn.gateway.receive(message);
    handled.push(done);
    return done;
  });
  fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000301', CHANNEL_ID, ADA, `<@${BOT_USER.id}> check every service`, { mentions: [BOT_USER] }), guild_id: GUILD_ID, member: { roles: [] } });
  await gated.until(1);
  fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000301', 'bob-token-3', 'quick one', BOB));
  // Bob's /ask reached the core (deferred, its "thinking…" showing): it waits behind Ada's turn.
  await vi.waitFor(() => expect(handled).toHaveLength(2));

  // Ada's turn has run 20 s: it is no /ask, so it gets its note, whatever Bob's deferred reply shows.
  (await timers.next(20_000)).fire();
  gated.release();
  await gated.until(2);
  gated.release();
  await Promise.all(handled);
  expect(fake.sent.filter((message) => message.kind === 'channel').map((message) => message.content)).toEqual(['Still working on it…', 're: check every service']);
});

/**
 * Long approval requests on Discord (2,000 characters a message). A request with a long
 * command, its directory and its stdin went out as two messages, the buttons under the second;
 * once settled, the edit wrote the first 2,000 characters of question + outcome into that second
 * message: it repeated the start of the question, and the outcome ("🚫 Denied by Ada.") was cut
 * off. The question now fits one message, and an edit of a text too long for one puts its last
 * part, the outcome included, into the message that had the buttons.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ID, DM_CHANNEL_ID, GUILD_ID, askInteraction, messagePayload, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage, InboundSink } from '../../src/core/message.js';

const ADA = { id: '400000000000000001', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
const BUTTONS = [
  { label: 'Approve', command: '/approve abc234' },
  { label: 'Deny', command: '/deny abc234' },
];

let model: FakeModelServer;
let fake: FakeDiscord;
let cairn: TestCairn;
let adapter: DiscordAdapter;

async function setUp(sink?: InboundSink): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeDiscord();
  cairn = startTestCairn(
    testConfig(model.url, {
      DISCORD_TOKEN: 'fake.discord.token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_GUILD_ID: GUILD_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_ALLOWED_USERS: ADA.id,
      DISCORD_ADMIN_USERS: ADA.id,
      CAIRN_REFLECTION: 'off',
    }),
  );
  adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer, now: () => 1_700_000_000_000 });
  cairn.gateway.attach(adapter);
  await adapter.start(sink ?? ((message) => cairn.gateway.receive(message)));
}

afterEach(async () => {
  await adapter.stop();
  await fake.close();
  await cairn.close();
  await model.close();
});

/** A build script run from a deep directory, a long heredoc on stdin, and a long rm at the end. */
function longRequest(depth: number) {
  const command = `${'make -C build/release all install DESTDIR=/tmp/stage; '.repeat(10)}rm -rf ~ ${Array.from({ length: 30 }, (_, i) => `~/old-build-cache-${i}`).join(' ')}`;
  const stdin = Array.from({ length: 20 }, (_, i) => `step ${i}: copy artefacts into the staging folder`).join('\n');
  const cwd = `/srv/ci/workspaces/${'nightly-release-pipeline/'.repeat(depth)}checkout`;
  return { command, stdin, cwd };
}

describe('a long approval request on Discord', () => {
  it.each([
    { depth: 8, label: 'a directory of ~230 characters' },
    { depth: 20, label: 'a directory of ~520 characters' },
  ])('fits one message and, once denied, shows the question once and how it was settled ($label)', async ({ depth }) => {
    await setUp();
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: longRequest(depth) }] }, { text: 'Left it alone.' });
    fake.dispatch('MESSAGE_CREATE', { ...messagePayload('600000000000000001', DM_CHANNEL_ID, ADA, 'clean the build machine'), channel_type: 1 });

    const [question] = await fake.waitForSent(1);
    expect(question?.content.length).toBeLessThanOrEqual(2_000);
    expect(question?.body.components).toHaveLength(1);
    const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1] ?? '';
    expect(question?.content).toContain(`The whole command is kept with request ${id}`);

    fake.dispatch('MESSAGE_CREATE', { ...messagePayload('600000000000000002', DM_CHANNEL_ID, ADA, `/deny ${id}`), channel_type: 1 });
    await vi.waitFor(() => expect(fake.edits.map((edit) => edit.id)).toContain(question?.id));
    const settled = fake.edits.find((edit) => edit.id === question?.id);
    expect(settled?.body.components).toEqual([]);
    const shown = fake.contentOf(question?.id ?? '') ?? '';
    expect(shown.endsWith('\n🚫 Denied by Ada.')).toBe(true);
    expect(shown.split('⚠️ The agent wants to')).toHaveLength(2);
    expect(shown).not.toContain('An admin can allow it');
  });

  it('asked in the answer to /ask, fits that answer and is settled in it', async () => {
    await setUp();
    model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: longRequest(20) }] }, { text: 'Left it alone.' });
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000041', 'long-approval-token', 'clean the build machine', ADA));
    const [question] = await fake.waitForSent(1);
    expect(question).toMatchObject({ kind: 'original' });
    expect(question?.content.length).toBeLessThanOrEqual(2_000);
    const id = /\/approve (\w+)/.exec(question?.content ?? '')?.[1] ?? '';

    fake.dispatch('MESSAGE_CREATE', { ...messagePayload('600000000000000003', DM_CHANNEL_ID, ADA, `/deny ${id}`), channel_type: 1 });
    await vi.waitFor(() => expect(fake.edits.map((edit) => edit.id)).toContain(question?.id));
    const shown = fake.contentOf(question?.id ?? '') ?? '';
    expect(shown.endsWith('\n🚫 Denied by Ada.')).toBe(true);
    expect(shown.split('⚠️ The agent wants to')).toHaveLength(2);
  });
});

describe('editing a message that went out in parts', () => {
  // Two parts: a first of about 1,950 characters and a second of about 1,000.
  const long = Array.from({ length: 60 }, (_, i) => `line ${i}: ${'x'.repeat(40)}`).join('\n');
  const settledText = `${long}\n🚫 Denied by Ada.`;

  it('in a channel, puts the last part, the outcome included, into the message that had the buttons', async () => {
    await setUp();
    const sentRef = await adapter.send(`discord:dm:${DM_CHANNEL_ID}`, { text: long, buttons: BUTTONS });
    const sent = await fake.waitForSent(2);
    expect(sent.map((message) => Array.isArray(message.body.components))).toEqual([false, true]);
    await adapter.edit(`discord:dm:${DM_CHANNEL_ID}`, sentRef ?? '', settledText);

    expect(fake.edits.map((edit) => edit.id)).toEqual([sent[1]?.id]);
    expect(fake.edits[0]?.body.components).toEqual([]);
    const shown = sent.map((message) => fake.contentOf(message.id) ?? '');
    expect(shown[1]?.endsWith('\n🚫 Denied by Ada.')).toBe(true);
    expect(shown.join('\n')).toBe(settledText);
  });

  it('in the answer to /ask, edits the follow-up that had the buttons through the interaction the same way', async () => {
    let asked: InboundMessage | undefined;
    // The turn stays open while the test answers it by hand, as a tool waiting for approval would.
    await setUp(async (message) => {
      asked = message;
      await new Promise(() => {});
      return 'handled';
    });
    fake.dispatch('INTERACTION_CREATE', askInteraction('800000000000000042', 'parts-token', 'clean the build machine', ADA));
    await vi.waitFor(() => expect(asked).toBeDefined());
    await vi.waitFor(() => expect(fake.calls.some((call) => call.path.endsWith('/callback'))).toBe(true));
    const sentRef = await adapter.send(asked?.conversationId ?? '', { text: long, buttons: BUTTONS, replyTo: asked?.messageId });
    const sent = await fake.waitForSent(2);
    expect(sent.map((message) => message.kind)).toEqual(['original', 'followup']);
    await adapter.edit(asked?.conversationId ?? '', sentRef ?? '', settledText);

    expect(fake.edits.at(-1)?.id).toBe(sent[1]?.id);
    const shown = sent.map((message) => fake.contentOf(message.id) ?? '');
    expect(shown[1]?.endsWith('\n🚫 Denied by Ada.')).toBe(true);
    expect(shown.join('\n')).toBe(settledText);
  });
});

/**
 * One member's /forget (or /unlink) ends the group conversations they started, and their part of
 * them is never condensed; the other members' part still is, for those members. What the
 * forgetting person said never reaches the extraction model.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { cmd, link, startWorld, type World } from '../helpers/linking-world.js';
import { buildProgram } from '../../src/cli.js';
import { isExtraction, memoryReplies } from './helpers.js';

let server: FakeModelServer;
let cairn: TestCairn | undefined;
let world: World | undefined;
beforeEach(async () => {
  server = await startFakeModelServer();
  // Each speaker's transcript yields a note saying whose words it read.
  server.setDefault(
    memoryReplies((transcript) => ({
      notes: [
        ...(transcript.includes('I am Bob') ? [{ text: 'Bob maintains the billing service.', kind: 'fact' }] : []),
        ...(transcript.includes('I am Alice') ? [{ text: 'Alice runs the design review.', kind: 'fact' }] : []),
      ],
    })),
  );
});
afterEach(async () => {
  await cairn?.close();
  await world?.cairn.close();
  cairn = undefined;
  world = undefined;
  await server.close();
});

const extractionTranscripts = () => server.chatRequests().filter(isExtraction).map((body: ChatBody) => String(body.messages[1]?.content));

/** Alice starts a group conversation, Bob speaks in it too. */
async function groupAliceStarted(c: TestCairn): Promise<string> {
  const group = { conversationId: 'test:group:1', isDirect: false, addressed: true };
  await c.gateway.receive(c.adapter.message('I am Alice, I run the design review', { ...group, userId: 'test:alice', senderId: 'alice', userName: 'alice' }));
  await c.gateway.receive(c.adapter.message('I am Bob, I maintain billing', { ...group, userId: 'test:bob', senderId: 'bob', userName: 'bob' }));
  c.manualClock.advance(1_000);
  return c.sessions.store.active(group.conversationId)!.id;
}

describe("one member's forget and the other members' notes", () => {
  it("/forget all: Bob's part of the group conversation Alice started is condensed into his notes, and none of Alice's words reach the model", async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model' }, tempDir()));
    const sessionId = await groupAliceStarted(cairn);
    await cairn.gateway.receive(cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' } }));
    expect(cairn.sessions.store.get(sessionId)).toMatchObject({ status: 'ended', endReason: 'forgotten' });
    await cairn.notes.idle();
    expect(cairn.notes.store.list('test:alice')).toEqual([]);
    expect(cairn.notes.store.list('test:bob').map((note) => note.text)).toEqual(['Bob maintains the billing service.']);
    expect(extractionTranscripts().join('\n')).not.toContain('I am Alice');
  });

  it('a conversation only the forgetting person spoke in is not condensed at all', async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model' }, tempDir()));
    await cairn.gateway.receive(cairn.adapter.message('I am Alice, I run the design review'));
    const session = cairn.sessions.store.active('test:dm:alice')!;
    await cairn.gateway.receive(cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' } }));
    await cairn.notes.idle();
    expect(cairn.notes.extraction!.state(session.id).state).toBeUndefined();
    expect(extractionTranscripts()).toEqual([]);
  });

  it("`cairn memory forget all` leaves Bob's part for the next start to condense", async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model' }, tempDir()));
    const sessionId = await groupAliceStarted(cairn);
    const previous = process.env.CAIRN_DATA_DIR;
    process.env.CAIRN_DATA_DIR = cairn.config.dataDir;
    try {
      await buildProgram(() => {}).exitOverride().parseAsync(['memory', 'forget', '--user', 'test:alice', 'all'], { from: 'user' });
    } finally {
      if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
      else process.env.CAIRN_DATA_DIR = previous;
    }
    expect(cairn.notes.extraction!.state(sessionId).state).toBe('pending');
    // What the next start does.
    cairn.notes.resumePending();
    await cairn.notes.idle();
    expect(cairn.notes.store.list('test:alice')).toEqual([]);
    expect(cairn.notes.store.list('test:bob').map((note) => note.text)).toEqual(['Bob maintains the billing service.']);
  });

  it("/unlink: Bob's part of the group conversation the account started is condensed, the account's is not", async () => {
    world = startWorld(server, { SLACK_ALLOWED_USERS: 'U1,U2' });
    const { cairn: c, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    const group = { conversationId: 'slack:group:C1', isDirect: false, addressed: true };
    await c.gateway.receive(slack.message('I am Alice, I run the design review', { ...group, userId: 'slack:U1', senderId: 'U1', userName: 'alice' }));
    await c.gateway.receive(slack.message('I am Bob, I maintain billing', { ...group, userId: 'slack:U2', senderId: 'U2', userName: 'bob' }));
    const sessionId = c.sessions.store.active(group.conversationId)!.id;
    await c.gateway.receive(cmd(slack, 'U1', 'unlink'));
    expect(c.sessions.store.get(sessionId)).toMatchObject({ status: 'ended', endReason: 'unlinked' });
    await c.notes.idle();
    expect(c.notes.store.list('slack:U2').map((note) => note.text)).toEqual(['Bob maintains the billing service.']);
    expect(c.notes.store.list('slack:U1')).toEqual([]);
    expect(c.notes.store.list(c.access.personOf('telegram:100'))).toEqual([]);
    expect(extractionTranscripts().join('\n')).not.toContain('I am Alice');
  });
});

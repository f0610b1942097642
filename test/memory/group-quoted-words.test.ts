/**
 * In a group, a message that replies to another member's message, or mentions Cairn in a thread,
 * is stored with that context before it: the model needs it to understand the question. Extraction
 * reads only the sender's own words, so another member's facts never become the sender's notes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { isExtraction } from './helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
beforeEach(async () => {
  server = await startFakeModelServer();
  // An assistant that does not repeat the question: only the transcript's user lines could carry Bob's words.
  server.setDefault((request) => (isExtraction(request.body as ChatBody) ? { text: '{"notes": []}' } : { text: 'It depends on the city.' }));
  cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model' }, tempDir()));
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const alice = { conversationId: 'test:group:1', isDirect: false, addressed: true, userId: 'test:alice', senderId: 'alice', userName: 'alice' };

async function aliceTranscript(): Promise<string> {
  await cairn.gateway.receive(cairn.adapter.message('/new', { ...alice, command: { name: 'new', args: '' } }));
  await cairn.notes.idle();
  const bodies = server.chatRequests().filter(isExtraction);
  expect(bodies).toHaveLength(1);
  return String((bodies[0] as ChatBody).messages[1].content);
}

describe("group extraction and another member's words quoted in a message", () => {
  it('a thread mention: what bob wrote earlier in the thread reaches the model, not alice\'s notes', async () => {
    const earlier = { messages: [{ author: 'bob', text: 'I have a severe peanut allergy and I just moved to Berlin.' }], olderLeftOut: false };
    await cairn.gateway.receive(cairn.adapter.message('@Cairn what do you make of this?', { ...alice, earlier }));
    expect(JSON.stringify(server.chatRequests().at(-1))).toContain('peanut allergy');
    const transcript = await aliceTranscript();
    expect(transcript).toContain('User: [replying to earlier messages, left out here] @Cairn what do you make of this?');
    expect(transcript).not.toContain('peanut allergy');
  });

  it("a reply: the message by bob that alice replied to stays in the conversation's history, out of her transcript", async () => {
    await cairn.gateway.receive(cairn.adapter.message('@Cairn is that a good salary?', { ...alice, replyingTo: { author: 'bob', text: 'My salary at Initech is 90k and I am looking for a new job.', byBot: false } }));
    await cairn.gateway.receive(cairn.adapter.message('@Cairn and in Berlin?', alice));
    expect(JSON.stringify(server.chatRequests().at(-1))).toContain('Initech');
    const transcript = await aliceTranscript();
    expect(transcript).toContain('is that a good salary');
    expect(transcript).toContain('User: @Cairn and in Berlin?');
    expect(transcript).not.toContain('Initech');
  });
  it("a batch: what bob wrote, in a message alice replied to while hers waited behind a turn, stays out of her transcript", async () => {
    let release!: () => void;
    server.enqueue({ after: new Promise((resolve) => (release = () => resolve(undefined))), then: { text: 'One moment.' } });
    const first = cairn.gateway.receive(cairn.adapter.message('@Cairn one moment', alice));
    while (server.chatRequests().length < 1) await new Promise((resolve) => setImmediate(resolve));
    // Sent while the first turn runs: the two wait, and are answered as one message.
    const bobs = { author: 'bob', text: 'I am allergic to penicillin and live at 12 Elm Street.', byBot: false };
    const waiting = [cairn.gateway.receive(cairn.adapter.message('@Cairn should we worry?', { ...alice, replyingTo: bobs })), cairn.gateway.receive(cairn.adapter.message('@Cairn and what do you suggest', alice))];
    release();
    expect(await Promise.all([first, ...waiting])).toEqual(['turn', 'turn', 'joined']);
    expect(JSON.stringify(server.chatRequests().at(-1))).toContain('penicillin');
    const transcript = await aliceTranscript();
    expect(transcript).toContain('User: [replying to earlier messages, left out here] @Cairn should we worry?\n\n@Cairn and what do you suggest');
    expect(transcript).not.toContain('penicillin');
  });
});

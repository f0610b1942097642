/** In a shared conversation, one person's memory results never reach another person's prompt or the shared summary. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let model: FakeModelServer;
let cairn: TestCairn;
afterEach(async () => {
  await cairn.close();
  await model.close();
});

describe('memory in a group conversation', () => {
  it("withholds a speaker's memory_search result from the next speaker, and from the summary", async () => {
    model = await startFakeModelServer();
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '1,2', CAIRN_CONTEXT_TOKENS: '1200' }));
    const group = new RecordingAdapter('telegram');
    cairn.gateway.attach(group);
    cairn.notes.save('telegram:1', { text: 'Alice plans to resign on Friday', kind: 'fact', now: cairn.manualClock.now() });
    const say = (sender: string, text: string) =>
      cairn.gateway.receive(group.message(text, { senderId: sender, userId: `telegram:${sender}`, userName: `user${sender}`, conversationId: 'telegram:-500', isDirect: false, addressed: true }));

    model.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'plans' } }] }, { text: 'Noted.' });
    await say('1', 'what are my plans?');
    const aliceSaw = JSON.stringify(model.chatRequests().at(-1)?.messages);
    expect(aliceSaw).toContain('resign on Friday');

    await say('2', 'what did the bot just look up?');
    const bobSaw = JSON.stringify(model.chatRequests().at(-1)?.messages);
    expect(bobSaw).not.toContain('resign');
    expect(bobSaw).toContain('belongs to another person');

    // Long enough to compress: the shared summary must not carry Alice's note either.
    model.setDefault((request) => {
      const first = (request.body as { messages: { content: string }[] }).messages[0]?.content ?? '';
      return { text: first.startsWith('You compress') ? `SUMMARY OF: ${JSON.stringify(request.body).includes('resign') ? 'LEAK' : 'clean'}` : 'ok' };
    });
    for (let i = 0; i < 8; i++) await say('2', `filler message ${i} ${'words '.repeat(60)}`);
    const summaries = model.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You compress'));
    expect(summaries.length).toBeGreaterThan(0);
    for (const body of summaries) expect(JSON.stringify(body)).not.toContain('resign');
  });
});

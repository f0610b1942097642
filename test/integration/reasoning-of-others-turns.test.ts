/** A thinking model's reasoning on an admin's turn (what it read of a command's output) must not reach a non-admin's request. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
beforeEach(async () => {
  server = await startFakeModelServer();
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '1' }));
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const SECRET = 'hunter2-secret';
const inGroup = (senderId: string, text: string) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: `user${senderId}`, conversationId: 'telegram:-1001', isDirect: false, addressed: true });

describe('reasoning in a shared conversation', () => {
  it("keeps what the model thought on an admin's turn out of a non-admin's request", async () => {
    server.enqueue(
      { toolCalls: [{ name: 'terminal', arguments: { command: `echo DB_PASSWORD=${SECRET}` } }], reasoning: { text: 'I will look at the variable.' } },
      { toolCalls: [{ name: 'current_time', arguments: {} }], reasoning: { text: `The output says DB_PASSWORD=${SECRET}. Let me note the time.` } },
      { text: 'The variable is set.' },
    );
    await cairn.gateway.receive(inGroup('1', 'is DB_PASSWORD set on the host?'));
    expect(JSON.stringify(server.chatRequests().at(-1))).toContain(`The output says DB_PASSWORD=${SECRET}`);

    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(inGroup('100', 'what exactly did that command print?'));
    const request = JSON.stringify(server.chatRequests().at(-1));
    expect(request).not.toContain(SECRET);
    // DeepSeek refuses a later request whose tool-calling messages lack reasoning_content: the field stays.
    expect((request.match(/reasoning_content/g) ?? []).length).toBe(2);

    // The admin's own next turn still has it.
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(inGroup('1', 'and now?'));
    expect(JSON.stringify(server.chatRequests().at(-1))).toContain(`The output says DB_PASSWORD=${SECRET}`);
  });
});

/** Feedback in a group: each member's verdict judges their own answers, not another member's. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100,200', TELEGRAM_ADMIN_USERS: '300', CAIRN_REFLECTION: 'off' }, tempDir()));
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

const inGroup = (senderId: string, text: string, extra = {}) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: 'telegram:-42', isDirect: false, addressed: true, ...extra });
const feedback = (senderId: string, verdict: string, feedbackOn?: string) =>
  cairn.gateway.receive(inGroup(senderId, `/feedback ${verdict}`, { command: { name: 'feedback', args: verdict }, ...(feedbackOn ? { feedbackOn } : {}) }));
const verdicts = () => cairn.learning.tasks.recent(10).map((task) => [task.userId, task.request, task.feedback]);

describe('feedback in a group', () => {
  it("takes a member's typed /feedback for their own latest answer, never another member's", async () => {
    await cairn.gateway.receive(inGroup('100', 'capital of Peru?', { messageId: 'ask-1' }));
    await feedback('200', 'bad');
    expect(telegram.texts().at(-1)).toBe("I can't tell which answer of mine this is about (there is none, or I no longer know it), so I can't learn from it. Send /feedback good|bad right after the answer you mean.");
    expect(verdicts()).toEqual([]);
    await cairn.gateway.receive(inGroup('200', 'capital of Chile?', { messageId: 'ask-2' }));
    await feedback('100', 'good');
    expect(verdicts()).toEqual([['telegram:100', 'capital of Peru?', 'good']]);
  });

  it("ignores a member's reaction on another member's answer, and takes the asker's and an admin's", async () => {
    await cairn.gateway.receive(inGroup('100', 'capital of Peru?', { messageId: 'ask-1' }));
    const sent = telegram.texts().length;
    await feedback('200', 'bad', 'ask-1');
    expect(telegram.texts()).toHaveLength(sent);
    expect(verdicts()).toEqual([]);
    await feedback('100', 'good', 'ask-1');
    expect(verdicts()).toEqual([['telegram:100', 'capital of Peru?', 'good']]);
    await feedback('300', 'bad', 'ask-1');
    expect(verdicts()).toEqual([['telegram:100', 'capital of Peru?', 'bad']]);
  });
});

/** A channel's model changed in the config takes effect at the restart, also in a conversation whose session goes on. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ConversationModels } from '../../src/memory/conversation-models.js';

let server: FakeModelServer;
const running: TestCairn[] = [];
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
  await server.close();
});

const modelOf = (text: string) => server.chatRequests().findLast((body) => body.messages?.at(-1)?.content === text)?.model;

function start(dataDir: string, channelModel: string): TestCairn {
  // As `channels` in cairn.yaml gives it (whose keys name a real platform; the test adapter's is "test").
  const config = testConfig(server.url, { CAIRN_REFLECTION: 'off' }, dataDir);
  const cairn = startTestCairn({ ...config, channels: { 'test:dm:alice': { model: channelModel } } });
  running.push(cairn);
  return cairn;
}

describe("a channel's configured model", () => {
  it('changed while its conversation goes on: the next message after the restart uses the new one, as /model says', async () => {
    const dataDir = tempDir();
    const before = start(dataDir, 'model-a');
    await before.gateway.receive(before.adapter.message('hello'));
    expect(modelOf('hello')).toBe('model-a');
    const session = before.sessions.store.active('test:dm:alice')!.id;
    await before.close();
    running.splice(0);

    const after = start(dataDir, 'model-b');
    await after.gateway.receive(after.adapter.message('/model', { command: { name: 'model', args: '' }, messageId: 'after-1' }));
    expect(after.adapter.texts().at(-1)).toMatch(/uses model-b/);
    await after.gateway.receive(after.adapter.message('and now?', { messageId: 'after-2' }));
    expect(modelOf('and now?')).toBe('model-b');
    // The same conversation went on: it was not idle.
    expect(after.sessions.store.active('test:dm:alice')!.id).toBe(session);
  });

  it('a switch made with /model still wins over the config', async () => {
    const cairn = start(tempDir(), 'model-a');
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    new ConversationModels(cairn.db).set('test:dm:alice', 'model-c', { userId: 'test:admin' }, cairn.manualClock.now());
    await cairn.gateway.receive(cairn.adapter.message('which one?'));
    expect(modelOf('which one?')).toBe('model-c');
  });
});

/** A channel's model changed in the config takes effect at the restart, also in a conversation whose session goes on. */
import { describe, expect, it } from 'vitest';
import { tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { ConversationModels } from '../../src/memory/conversation-models.js';

const rig = useFakeModelRig();

const modelOf = (text: string) => rig.server.chatRequests().findLast((body) => body.messages?.at(-1)?.content === text)?.model;

function start(dataDir: string, channelModel: string): TestCairn {
  // As `channels` in cairn.yaml gives it (whose keys name a real platform; the test adapter's is "test").
  const config = testConfig(rig.server.url, { CAIRN_REFLECTION: 'off' }, dataDir);
  return rig.startWith({ ...config, channels: { 'test:dm:alice': { model: channelModel } } });
}

describe("a channel's configured model", () => {
  it('changed while its conversation goes on: the next message after the restart uses the new one, as /model says', async () => {
    const dataDir = tempDir();
    const before = start(dataDir, 'model-a');
    await before.gateway.receive(before.adapter.message('hello'));
    expect(modelOf('hello')).toBe('model-a');
    const session = before.sessions.store.active('test:dm:alice')!.id;
    await before.close();

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

/**
 * /stop while the answer is already being sent (a platform holding it under a rate limit) said
 * "OK, stopping.", and then the answer arrived all the same: it now says there is nothing to stop.
 */
import { describe, expect, it, vi } from 'vitest';
import type { OutboundReply } from '../../src/core/message.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('/stop as the answer goes out', () => {
  it('does not say "OK, stopping." for an answer already on its way', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    const { adapter, gateway } = cairn;
    // The platform holds the answer (a rate limit): /stop comes in meanwhile.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const send = adapter.send.bind(adapter);
    let answering = false;
    adapter.send = async (conversationId: string, reply: OutboundReply) => {
      answering ||= reply.endsTurn === true;
      if (reply.endsTurn) await held;
      return send(conversationId, reply);
    };
    rig.server.enqueue({ text: 'Here is the essay.' });
    const turn = gateway.receive(adapter.message('write an essay'));
    await vi.waitFor(() => expect(answering).toBe(true));
    expect(await gateway.receive(adapter.message('/stop', { command: { name: 'stop', args: '' } }))).toBe('command');
    release();
    expect(await turn).toBe('turn');
    expect(adapter.texts()).toEqual(['Nothing to stop: the answer was already on its way.', 'Here is the essay.']);
  });
});

/**
 * maxConsecutiveFailedSteps(5) counts steps in which every call failed, not calls: one reply of
 * five parallel calls that all fail (five guessed time zones) leaves the model its tools to
 * correct them, while a model failing step after step is still stopped.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('five parallel calls that fail in one step', () => {
  it('leave the model its tools for the next step, to correct them', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    const zones = ['Tokyo', 'Paris', 'New York', 'Sydney', 'Sao Paulo'];
    rig.server.enqueue(
      { toolCalls: zones.map((zone, i) => ({ id: `call_${i}`, name: 'current_time', arguments: { timeZone: zone } })) },
      { toolCalls: [{ id: 'call_9', name: 'current_time', arguments: { timeZone: 'Asia/Tokyo' } }] },
      { text: 'Tokyo: 18:00.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('what time is it in Tokyo, Paris, New York, Sydney and Sao Paulo?'));
    const second = rig.server.chatRequests()[1];
    expect(JSON.stringify(second?.messages)).toContain('Unknown time zone');
    expect(second?.tools, 'the second request was made without tools: the loop was stopped after one step').toBeDefined();
  });

  it('end the tool loop only after five steps in a row in which every call failed', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '20' });
    const failing = (step: number) => ({ toolCalls: [{ id: `call_${step}`, name: 'current_time', arguments: { timeZone: `Nowhere/${step}` } }] });
    rig.server.enqueue(failing(1), failing(2), failing(3), failing(4), failing(5), { text: 'I could not find that time zone.' });
    await cairn.gateway.receive(cairn.adapter.message('what time is it on Mars?'));
    const requests = rig.server.chatRequests();
    expect(requests).toHaveLength(6);
    expect(requests[4]?.tool_choice).toBeUndefined();
    expect(requests[5]?.tool_choice, 'the sixth request still let the model call tools after five failed steps').toBe('none');
  });
});

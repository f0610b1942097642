/**
 * maxConsecutiveFailedSteps(5) counts steps in which every call failed, not calls: one reply of
 * five parallel calls that all fail (five guessed time zones) leaves the model its tools to
 * correct them, while a model failing step after step is still stopped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

let server: FakeModelServer;
let cairn: TestCairn | undefined;

beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  await server.close();
});

describe('five parallel calls that fail in one step', () => {
  it('leave the model its tools for the next step, to correct them', async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
    const zones = ['Tokyo', 'Paris', 'New York', 'Sydney', 'Sao Paulo'];
    server.enqueue(
      { toolCalls: zones.map((zone, i) => ({ id: `call_${i}`, name: 'current_time', arguments: { timeZone: zone } })) },
      { toolCalls: [{ id: 'call_9', name: 'current_time', arguments: { timeZone: 'Asia/Tokyo' } }] },
      { text: 'Tokyo: 18:00.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('what time is it in Tokyo, Paris, New York, Sydney and Sao Paulo?'));
    const second = server.chatRequests()[1];
    expect(JSON.stringify(second?.messages)).toContain('Unknown time zone');
    expect(second?.tools, 'the second request was made without tools: the loop was stopped after one step').toBeDefined();
  });

  it('end the tool loop only after five steps in a row in which every call failed', async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '20' }));
    const failing = (step: number) => ({ toolCalls: [{ id: `call_${step}`, name: 'current_time', arguments: { timeZone: `Nowhere/${step}` } }] });
    server.enqueue(failing(1), failing(2), failing(3), failing(4), failing(5), { text: 'I could not find that time zone.' });
    await cairn.gateway.receive(cairn.adapter.message('what time is it on Mars?'));
    const requests = server.chatRequests();
    expect(requests).toHaveLength(6);
    expect(requests[4]?.tools).toBeDefined();
    expect(requests[5]?.tools, 'the sixth request still offered tools after five failed steps').toBeUndefined();
  });
});

/**
 * A model that writes its answer and calls a tool in the same reply (answer, then memory_save or
 * a check), and then has nothing to add after the result: the user gets the answer it wrote,
 * not "The model returned an empty answer".
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

describe('an answer written beside a tool call', () => {
  it('reaches the user when the reply after the tool result is empty', async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
    server.enqueue(
      { text: 'Your meeting is on Tuesday at 10:00 in room B.', toolCalls: [{ name: 'current_time', arguments: {} }] },
      { text: '' },
    );
    await cairn.gateway.receive(cairn.adapter.message('when is my meeting?'));
    const said = cairn.adapter.texts().join('\n');
    expect(said).not.toContain('empty answer');
    expect(said).toContain('Tuesday at 10:00');
  });
});

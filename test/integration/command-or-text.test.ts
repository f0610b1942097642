/** A message that starts with a path is a question for the agent; a bare unknown /word is answered with the commands. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/commands.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

let model: FakeModelServer;
let cairn: TestCairn;
beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { CAIRN_REFLECTION: 'off' }));
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

/** As every adapter builds a message: the command parsed from its text. */
const message = (text: string) => {
  const command = parseCommand(text);
  return cairn.adapter.message(text, command ? { command } : {});
};

describe('a message that starts with a slash', () => {
  it('"/tmp is full, what can I delete?" reaches the agent, not "Unknown command /tmp"', async () => {
    model.enqueue({ text: 'Old build caches, mostly.' });
    expect(await cairn.gateway.receive(message('/tmp is full on the build box, what can I safely delete?'))).toBe('turn');
    expect(cairn.adapter.texts().at(-1)).toBe('Old build caches, mostly.');
  });

  it('a bare unknown /word is answered with the commands (a typo, most likely)', async () => {
    expect(await cairn.gateway.receive(message('/hlep'))).toBe('command');
    expect(cairn.adapter.texts().at(-1)).toMatch(/^Unknown command \/hlep\. Did you mean \/help\?/);
    expect(model.chatRequests()).toHaveLength(0);
  });
});

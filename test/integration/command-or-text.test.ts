/** A message that starts with a path is a question for the agent; a bare unknown /word is answered with the commands. */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/commands.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_REFLECTION: 'off' });
});

/** As every adapter builds a message: the command parsed from its text. */
const message = (text: string) => {
  const command = parseCommand(text);
  return cairn.adapter.message(text, command ? { command } : {});
};

describe('a message that starts with a slash', () => {
  it('"/tmp is full, what can I delete?" reaches the agent, not "Unknown command /tmp"', async () => {
    rig.server.enqueue({ text: 'Old build caches, mostly.' });
    expect(await cairn.gateway.receive(message('/tmp is full on the build box, what can I safely delete?'))).toBe('turn');
    expect(cairn.adapter.texts().at(-1)).toBe('Old build caches, mostly.');
  });

  it('a bare unknown /word is answered with the commands (a typo, most likely)', async () => {
    expect(await cairn.gateway.receive(message('/hlep'))).toBe('command');
    expect(cairn.adapter.texts().at(-1)).toMatch(/^Unknown command \/hlep\. Did you mean \/help\?/);
    expect(rig.server.chatRequests()).toHaveLength(0);
  });
});

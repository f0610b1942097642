/**
 * A model that writes its answer and calls a tool in the same reply (answer, then memory_save or
 * a check), and then has nothing to add after the result: the user gets the answer it wrote,
 * not "The model returned an empty answer".
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('an answer written beside a tool call', () => {
  it('reaches the user when the reply after the tool result is empty', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue(
      { text: 'Your meeting is on Tuesday at 10:00 in room B.', toolCalls: [{ name: 'current_time', arguments: {} }] },
      { text: '' },
    );
    await cairn.gateway.receive(cairn.adapter.message('when is my meeting?'));
    const said = cairn.adapter.texts().join('\n');
    expect(said).not.toContain('empty answer');
    expect(said).toContain('Tuesday at 10:00');
  });
});

/**
 * End to end, in the default tool mode (auto): an answer that names the `<tool_call>` tag, or
 * quotes a whole block in a fenced code block (an example, or a file or page the model repeats:
 * prompt injection), reaches the user as written and runs no tool.
 */
import { expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

it('delivers an answer that mentions the <tool_call> tag, and runs no tool', async () => {
  const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
  const answer = 'Hermes models put each call in a `<tool_call>` tag with JSON inside; the server reads the name and arguments from there.';
  rig.server.enqueue({ text: answer }, { text: 'SECOND REQUEST' });
  await cairn.gateway.receive(cairn.adapter.message('how do hermes models call tools?'));
  expect(cairn.adapter.texts()).toEqual([answer]);
  expect(rig.server.chatRequests()).toHaveLength(1);
});

it('shows a <tool_call> block quoted in a fenced code block as written, and runs nothing', async () => {
  const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
  const answer = 'Hermes models write a call like this:\n\n```xml\n<tool_call>\n{"name": "current_time", "arguments": {}}\n</tool_call>\n```\n\nand get the result back in a <tool_response> block.';
  rig.server.enqueue({ text: answer }, { text: 'SECOND MODEL CALL' });
  await cairn.gateway.receive(cairn.adapter.message('what does a Hermes tool call look like?'));
  expect(rig.server.chatRequests(), 'the quoted example was run as a tool call').toHaveLength(1);
  expect(cairn.adapter.texts().join('\n')).toContain('{"name": "current_time", "arguments": {}}');
});

/**
 * The answer after the step limit is asked with the tools defined and tool_choice "none": Anthropic
 * and Bedrock refuse a request whose messages hold tool calls and results but define no tools, so the
 * person got an error instead of what was found so far.
 */
import { expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { FakeReply, RecordedRequest } from '../fakes/model-server.js';

const rig = useFakeModelRig();

/** Anthropic and Bedrock: a request whose messages hold tool calls or results must define tools. */
function anthropicLike(request: RecordedRequest): FakeReply {
  const body = request.body as { messages: { role: string }[]; tools?: unknown[]; tool_choice?: string };
  if (!body.tools?.length && body.messages.some((m) => m.role === 'tool')) return { error: { status: 400, body: { error: { type: 'invalid_request_error', message: 'Requests which include `tool_use` or `tool_result` blocks must define tools.' } } } };
  if (body.tools?.length && body.tool_choice !== 'none') return { toolCalls: [{ name: 'current_time', arguments: { timeZone: `Etc/GMT-${rig.server.chatRequests().length % 12}` } }] };
  return { text: 'Here is what I found so far.' };
}

it('the answer after the step limit reaches the user on a provider that wants tools defined beside tool results', async () => {
  const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '2' });
  rig.server.setDefault(anthropicLike);
  await cairn.gateway.receive(cairn.adapter.message('keep checking the time'));
  expect(cairn.adapter.texts().at(-1)).toBe('Here is what I found so far.');
});

it('in hermes tool mode the answer after the step limit lists no tools in its prompt', async () => {
  const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '1', CAIRN_TOOL_MODE: 'hermes' });
  rig.server.enqueue({ text: '<tool_call>\n{"name": "current_time", "arguments": {}}\n</tool_call>' }, { text: 'It is noon.' });
  await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
  expect(cairn.adapter.texts().at(-1)).toBe('It is noon.');
  const [first, final] = rig.server.chatRequests();
  expect(JSON.stringify(first?.messages[0])).toContain('<tools>');
  expect(JSON.stringify(final?.messages[0])).not.toContain('<tools>');
  expect(final?.tools).toBeUndefined();
});

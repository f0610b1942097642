/**
 * The answer after the step limit asks with tool_choice "none". OpenRouter answers 404 "No endpoints
 * found that support the provided 'tool_choice' value" for a model none of whose endpoints take the
 * field (it routes by it): the person who asked was told the provider does not have the model, after
 * the steps it had run with it. It is asked again without tool_choice, as every step before it was.
 */
import { expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { FakeReply, RecordedRequest } from '../fakes/model-server.js';

const rig = useFakeModelRig();

function openRouterWithoutToolChoice(request: RecordedRequest): FakeReply {
  const body = request.body as { messages: { role: string }[]; tool_choice?: string };
  if (body.tool_choice !== undefined) {
    const message = "No endpoints found that support the provided 'tool_choice' value. To learn more about provider routing, visit: https://openrouter.ai/docs/guides/routing/provider-selection";
    return { error: { status: 404, body: { error: { message, code: 404 } } } };
  }
  if (body.messages.some((m) => m.role === 'tool')) return { text: 'It is evening in Tokyo.' };
  return { toolCalls: [{ name: 'current_time', arguments: { timeZone: 'Asia/Tokyo' } }] };
}

it('the answer after the step limit reaches the user where the provider takes no tool_choice', async () => {
  const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_MAX_STEPS: '1' });
  rig.server.setDefault(openRouterWithoutToolChoice);
  await cairn.gateway.receive(cairn.adapter.message('what time is it in Tokyo?'));
  expect(cairn.adapter.texts().at(-1)).toBe('It is evening in Tokyo.');
  const final = rig.server.chatRequests().at(-1);
  expect(final?.tool_choice).toBeUndefined();
  expect(final?.tools?.length).toBeGreaterThan(0);
});

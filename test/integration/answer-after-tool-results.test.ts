/**
 * A turn cut short after its tool results (a failed model call, /stop) leaves no answer after them:
 * Mistral refuses a user message right after a tool result, so every later request of the
 * conversation failed. The request carries a note of the missing answer between them.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { FakeReply, RecordedRequest } from '../fakes/model-server.js';

const rig = useFakeModelRig();

/** Mistral's API: a tool result must be followed by an assistant message (or another result). */
function mistralLike(request: RecordedRequest): FakeReply {
  const messages = (request.body as { messages: { role: string; content: unknown }[] }).messages;
  for (let i = 1; i < messages.length; i++) {
    if (messages[i - 1]?.role === 'tool' && messages[i]?.role === 'user') return { error: { status: 400, body: { object: 'error', message: "Unexpected role 'user' after role 'tool'", type: 'invalid_request_message_order', code: '3230' } } };
  }
  return { text: `echo: ${String(messages.at(-1)?.content)}` };
}

describe('a turn cut short after its tool results', () => {
  it('leaves a history the next request can carry to Mistral', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { error: { status: 400, body: { error: { message: 'bad request' } } } });
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    rig.server.setDefault(mistralLike);
    await cairn.gateway.receive(cairn.adapter.message('try again'));
    expect(cairn.adapter.texts().at(-1)).toContain('try again');
  });
});

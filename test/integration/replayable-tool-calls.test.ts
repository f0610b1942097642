/**
 * What a turn's tool calls leave in the session history, as later requests replay it (a
 * history a server refuses is refused on every later request of the conversation), and the
 * turn loop against models that misbehave the way local models do: a failed turn, and a reply
 * that repeats one call over and over.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatBody } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { NO_ANSWER_AFTER_TOOLS } from '../../src/core/prompt.js';

const rig = useFakeModelRig();

function start(env: Record<string, string> = {}): TestCairn {
  return rig.start({ CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_MAX_RETRIES: '0', ...env });
}

type WireMessage = { role: string; content: string | null; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] };

describe('tool calls in the history', () => {
  it('keeps a conversation answering after the model once wrote tool-call arguments that are not JSON', async () => {
    // vLLM (chat_utils._postprocess_messages) and Ollama parse every replayed tool call's
    // `arguments` as JSON before applying the chat template, and refuse the request when they
    // are not. Models write broken JSON now and then (or are cut off mid-arguments at max tokens).
    const cairn = start();
    rig.server.setDefault((request) => {
      const messages = ((request.body as ChatBody).messages ?? []) as WireMessage[];
      for (const call of messages.flatMap((m) => m.tool_calls ?? [])) {
        try {
          JSON.parse(call.function.arguments);
        } catch {
          return { error: { status: 400, body: { error: { message: "Expecting ',' delimiter: line 1 column 20 (char 19)", type: 'BadRequestError' } } } };
        }
      }
      return { text: 'answered' };
    });
    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: '{"timeZone": "UTC"' }] });
    const first = await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    const second = await cairn.gateway.receive(cairn.adapter.message('hello again'));
    expect(cairn.adapter.texts()).toEqual(['answered', 'answered']);
    expect([first, second]).toEqual(['turn', 'turn']);
    // The model is told what was wrong, and its call is replayed with the text it wrote.
    const replayed = (rig.server.chatRequests()[1]?.messages as WireMessage[]).filter((m) => m.role === 'tool' || m.tool_calls);
    expect(replayed[0]?.tool_calls?.[0]?.function.arguments).toBe(JSON.stringify({ unparsed_arguments: '{"timeZone": "UTC"' }));
    expect(replayed[1]?.content).toMatch(/^The arguments for current_time are not valid JSON/);
  });

  it('gives each of two parallel calls that came with the same id its own result', async () => {
    // DeepSeek, GLM and Kimi endpoints have been seen to reuse one id for parallel calls.
    const cairn = start();
    cairn.tools.register({ name: 'lookup', description: 'looks a key up', parameters: z.object({ key: z.string() }), execute: ({ key }) => `value of ${key}` });
    rig.server.enqueue(
      {
        toolCalls: [
          { id: 'call_0', name: 'lookup', arguments: { key: 'alpha' } },
          { id: 'call_0', name: 'lookup', arguments: { key: 'beta' } },
        ],
      },
      { text: 'Both looked up.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('look up alpha and beta'));
    const followUp = rig.server.chatRequests()[1]?.messages as WireMessage[];
    const results = followUp.filter((m) => m.role === 'tool');
    const calls = followUp.flatMap((m) => m.tool_calls ?? []);
    // The model sees both results, each answering its own call (ids unique, as providers require).
    expect(calls.map((c) => c.id)[0]).toBe('call_0');
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(results.map((m) => [m.tool_call_id, m.content])).toEqual(calls.map((c) => [c.id, `value of ${JSON.parse(c.function.arguments).key}`]));
  });
});

describe('the turn loop', () => {
  it('keeps the history alternating after a failed turn, so templates that require it (Mistral, Llama 2, Gemma) keep answering', async () => {
    // A turn that failed (server restarting, timeout, /stop mid-answer) leaves its question stored with no answer.
    const cairn = start({ CAIRN_TOOL_MODE: 'hermes' });
    rig.server.enqueue({ error: { status: 503 } });
    rig.server.setDefault((request) => {
      const roles = (((request.body as ChatBody).messages ?? []) as { role: string }[]).map((m) => m.role).filter((role) => role !== 'system');
      const alternates = roles.every((role, i) => role === (i % 2 === 0 ? 'user' : 'assistant'));
      if (!alternates) return { error: { status: 400, body: { error: { message: 'Conversation roles must alternate user/assistant/user/assistant/...', type: 'BadRequestError' } } } };
      return { text: 'answered' };
    });
    expect(await cairn.gateway.receive(cairn.adapter.message('deploy status?'))).toBe('failed');
    const later = [await cairn.gateway.receive(cairn.adapter.message('are you back?')), await cairn.gateway.receive(cairn.adapter.message('hello?'))];
    expect(later).toEqual(['turn', 'turn']);
    expect(cairn.adapter.texts().slice(1)).toEqual(['answered', 'answered']);
    // The request joins the two questions; the stored history stays as it happened.
    expect(rig.server.chatRequests()[1]?.messages.slice(1)).toEqual([{ role: 'user', content: 'deploy status?\n\nare you back?' }]);
    const session = cairn.sessions.store.active('test:dm:alice');
    expect(cairn.sessions.store.messages(session!).map((m) => m.message.role)).toEqual(['user', 'user', 'assistant', 'user', 'assistant']);
  });

  it('keeps the history alternating in hermes mode after a turn cut short between its tool results and its answer', async () => {
    const cairn = start({ CAIRN_TOOL_MODE: 'hermes' });
    rig.server.enqueue({ text: '<tool_call>\n{"name": "current_time", "arguments": {}}\n</tool_call>' }, { error: { status: 503 } });
    rig.server.setDefault(() => ({ text: 'answered' }));
    expect(await cairn.gateway.receive(cairn.adapter.message('what time is it?'))).toBe('failed');
    expect(await cairn.gateway.receive(cairn.adapter.message('are you back?'))).toBe('turn');
    const roles = (rig.server.chatRequests().at(-1)?.messages as { role: string; content: string }[]).map((m) => m.role);
    // The tool response is a user message in hermes mode; the missing answer after it is said as one.
    expect(roles).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(rig.server.chatRequests().at(-1)?.messages.slice(-3).map((m: { content: string }) => m.content)).toEqual([expect.stringMatching(/<\/tool_response>$/), NO_ANSWER_AFTER_TOOLS, 'are you back?']);
  });

  it('runs a call the model repeats verbatim many times in one reply once, not once per copy', async () => {
    // A small local model stuck in a repetition loop writes the same <tool_call> block until its
    // output limit. The step limit counts model calls, so nothing bounds the calls of one reply.
    const cairn = start({ CAIRN_TOOL_MODE: 'hermes' });
    let runs = 0;
    cairn.tools.register({
      name: 'fetch_status',
      description: 'fetches the deploy status',
      parameters: z.object({ url: z.string() }),
      execute: () => {
        runs++;
        return 'status: green';
      },
    });
    const block = '<tool_call>\n{"name": "fetch_status", "arguments": {"url": "https://deploy.example/status"}}\n</tool_call>';
    rig.server.enqueue({ text: `Let me check.\n${Array.from({ length: 60 }, () => block).join('\n')}` }, { text: 'It is green.' });
    await cairn.gateway.receive(cairn.adapter.message('is the deploy green?'));
    expect(cairn.adapter.texts()).toEqual(['It is green.']);
    expect(runs).toBe(1);
    // Recorded once, so the model is not shown its loop again.
    expect(String(rig.server.chatRequests()[1]?.messages.at(-2)?.content).match(/<tool_call>/g)).toHaveLength(1);
  });
});

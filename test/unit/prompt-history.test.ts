/** The history as a request carries it: tool pairs whole and unique, user and assistant alternating. */
import { describe, expect, it } from 'vitest';
import { ADMIN_ONLY_RESULT, assembleMessages, mergeConsecutiveUserMessages, repairToolPairs } from '../../src/core/prompt.js';
import type { ChatMessage } from '../../src/model/types.js';
import type { StoredMessage } from '../../src/memory/sessions.js';
import { toHermesMessages } from '../../src/model/hermes.js';
import { replayableArguments, toOpenAIMessage } from '../../src/model/request.js';

describe('the history in a request', () => {
  it('pairs results stored under one repeated id with their calls in order, and makes the ids unique', () => {
    const repaired = repairToolPairs([
      { role: 'user', content: 'look up alpha and beta' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_0', name: 'lookup', arguments: '{"key":"alpha"}' }, { id: 'call_0', name: 'lookup', arguments: '{"key":"beta"}' }] },
      { role: 'tool', toolCallId: 'call_0', content: 'value of alpha' },
      { role: 'tool', toolCallId: 'call_0', content: 'value of beta' },
    ]);
    expect(repaired.slice(1)).toEqual([
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_0', name: 'lookup', arguments: '{"key":"alpha"}' }, { id: 'call_0_2', name: 'lookup', arguments: '{"key":"beta"}' }] },
      { role: 'tool', toolCallId: 'call_0', content: 'value of alpha' },
      { role: 'tool', toolCallId: 'call_0_2', content: 'value of beta' },
    ]);
  });

  it('joins consecutive user messages, saying whose each part is when two people wrote them', () => {
    expect(mergeConsecutiveUserMessages([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }])).toEqual([
      { role: 'user', content: 'a\n\nb' },
      { role: 'assistant', content: 'c' },
    ]);
    expect(mergeConsecutiveUserMessages([{ role: 'user', content: 'deploy?', name: 'ada' }, { role: 'user', content: 'same question', name: 'bo' }, { role: 'user', content: 'any news?', name: 'bo' }])).toEqual([
      { role: 'user', content: 'ada: deploy?\n\nbo: same question\n\nbo: any news?' },
    ]);
  });

  it('puts a question that follows tool results into their user turn in hermes mode', () => {
    const messages = toHermesMessages(
      [
        { role: 'user', content: 'time?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'clock', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'a', content: '09:00' },
        { role: 'user', content: 'are you back?' },
      ],
      [],
    );
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[2]?.content).toBe('<tool_response>\n{"name":"clock","content":"09:00"}\n</tool_response>\n\nare you back?');
  });

  it('replays tool-call arguments that are not JSON as JSON holding the text as written', () => {
    expect(replayableArguments('{"tz": "UTC"}')).toBe('{"tz": "UTC"}');
    expect(replayableArguments('')).toBe('{}');
    expect(replayableArguments('{"tz": "UTC"')).toBe('{"unparsed_arguments":"{\\"tz\\": \\"UTC\\""}');
    // Sessions stored before arguments were recorded as JSON are mended on the way out too.
    expect(toOpenAIMessage({ role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'clock', arguments: '{bad' }] })).toMatchObject({ tool_calls: [{ function: { arguments: '{"unparsed_arguments":"{bad"}' } }] });
  });

  it("withholds an admin-only tool's arguments and result from someone else who is not an admin, and nothing from an admin", () => {
    const said = (userId: string, message: ChatMessage, seq: number): StoredMessage => ({ seq, message, userId, tokens: 10, createdAt: 0 });
    const history = [
      said('admin', { role: 'user', content: 'print the config', name: 'ada' }, 1),
      said('admin', { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'terminal', arguments: '{"command":"cat .env"}' }, { id: 'b', name: 'clock', arguments: '{}' }] }, 2),
      said('admin', { role: 'tool', toolCallId: 'a', name: 'terminal', content: 'TOKEN=s3cret' }, 3),
      said('admin', { role: 'tool', toolCallId: 'b', name: 'clock', content: '09:00' }, 4),
      said('admin', { role: 'assistant', content: 'Done.' }, 5),
      said('member', { role: 'user', content: 'run ls', name: 'bo' }, 6),
      said('member', { role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'terminal', arguments: '{"command":"ls"}' }] }, 7),
      said('member', { role: 'tool', toolCallId: 'c', name: 'terminal', content: 'Unknown tool "terminal".' }, 8),
    ];
    const assemble = (viewer: string, viewerIsAdmin: boolean) =>
      assembleMessages({ prefix: 'P', summary: undefined, history, maxTokens: 32_000, viewer, viewerIsAdmin, isAdminOnlyTool: (name) => name === 'terminal' }).slice(1);

    const member = assemble('member', false);
    expect(member[1]).toEqual({ role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'terminal', arguments: '{}' }, { id: 'b', name: 'clock', arguments: '{}' }] });
    expect(member[2]).toEqual({ role: 'tool', toolCallId: 'a', name: 'terminal', content: ADMIN_ONLY_RESULT });
    expect(member[3]).toMatchObject({ content: '09:00' });
    // Their own refused call stays as it was, so the model can read why it failed.
    expect(member.slice(6)).toEqual(history.slice(6).map((stored) => stored.message));

    expect(assemble('other-admin', true)).toEqual(history.map((stored) => stored.message));
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

function sse(...chunks: object[]): string {
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('');
}

describe('streaming', () => {
  it('delivers text deltas as they come and asks for usage', async () => {
    const { client, calls } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'The quick brown fox jumps.', usage: { prompt_tokens: 12, completion_tokens: 6 } });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'go' }], onTextDelta: (d) => deltas.push(d) });

    expect(server.chatRequests()[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe('The quick brown fox jumps.');
    expect(result).toMatchObject({ text: 'The quick brown fox jumps.', finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 6 }, model: 'test-model' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ ok: true, usage: { promptTokens: 12, completionTokens: 6, cachedTokens: 0 } });
  });

  it('takes a plain JSON completion from a server that ignores stream: true, text in one piece', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const completion = (message: object, finish: string) => ({
      id: 'c',
      object: 'chat.completion',
      created: 0,
      model: 'plain-model',
      choices: [{ index: 0, message, finish_reason: finish }],
      usage: { prompt_tokens: 9, completion_tokens: 3 },
    });
    server.enqueue(
      { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(completion({ role: 'assistant', content: 'No streaming here.' }, 'stop')) } },
      { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(completion({ role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'clock', arguments: '{}' } }] }, 'tool_calls')) } },
    );
    const deltas: string[] = [];
    const answer = await client.complete({ messages: [{ role: 'user', content: 'go' }], onTextDelta: (d) => deltas.push(d) });
    expect(deltas).toEqual(['No streaming here.']);
    expect(answer).toMatchObject({ text: 'No streaming here.', finishReason: 'stop', usage: { promptTokens: 9, completionTokens: 3 }, model: 'plain-model' });
    const call = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], onTextDelta: (d) => deltas.push(d) });
    expect(call.toolCalls).toEqual([{ id: 't1', name: 'clock', arguments: '{}' }]);
    expect(deltas).toEqual(['No streaming here.']);
  });

  it('joins streamed tool-call deltas by index', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ toolCalls: [{ id: 'c1', name: 'clock', arguments: { tz: 'Europe/Berlin' } }, { id: 'c2', name: 'clock', arguments: { tz: 'Asia/Tokyo' } }] });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'times?' }], tools: [clockTool], onTextDelta: (d) => deltas.push(d) });
    expect(deltas).toEqual([]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      { id: 'c1', name: 'clock', arguments: '{"tz":"Europe/Berlin"}' },
      { id: 'c2', name: 'clock', arguments: '{"tz":"Asia/Tokyo"}' },
    ]);
  });

  it.each([
    ['each call whole, without an index (Gemini, proxies)', [undefined, undefined]],
    ['every call numbered 0 (Ollama)', [0, 0]],
  ] as const)('keeps streamed tool calls apart from servers that send %s', async (_how, indexes) => {
    const { client } = testClient([providerAt(server.url)]);
    const chunk = (delta: object, finish: string | null = null) => ({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
    const call = (index: number | undefined, id: string, tz: string) => ({ ...(index === undefined ? {} : { index }), id, type: 'function', function: { name: 'clock', arguments: `{"tz":"${tz}"}` } });
    const body = `${sse(chunk({ role: 'assistant', content: '' }), chunk({ tool_calls: [call(indexes[0], 'c1', 'Europe/Berlin')] }), chunk({ tool_calls: [call(indexes[1], 'c2', 'Asia/Tokyo')] }), chunk({}, 'tool_calls'))}data: [DONE]\n\n`;
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'times?' }], tools: [clockTool], onTextDelta: () => {} });
    expect(result.toolCalls).toEqual([
      { id: 'c1', name: 'clock', arguments: '{"tz":"Europe/Berlin"}' },
      { id: 'c2', name: 'clock', arguments: '{"tz":"Asia/Tokyo"}' },
    ]);
  });

  it('keeps calls apart when a server numbers each 0 and sends no ids, and joins a call whose deltas each repeat its name', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const chunk = (delta: object, finish: string | null = null) => ({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
    const call = (name: string, args: string) => chunk({ tool_calls: [{ index: 0, type: 'function', function: { name, arguments: args } }] });
    const body = `${sse(
      chunk({ role: 'assistant', content: '' }),
      call('clock', '{"tz":"Europe/Berlin"}'),
      call('web_search', '{"query":"news"}'),
      // The same function again, then one whose every delta repeats its name, and a last repeat that brings nothing.
      call('web_search', '{"query":"weather"}'),
      call('clock', '{"tz":'),
      call('clock', '"Asia/Tokyo"}'),
      call('clock', ''),
      chunk({}, 'tool_calls'),
    )}data: [DONE]\n\n`;
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time, news and weather?' }], tools: [clockTool], onTextDelta: () => {} });
    expect(result.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['clock', '{"tz":"Europe/Berlin"}'],
      ['web_search', '{"query":"news"}'],
      ['web_search', '{"query":"weather"}'],
      ['clock', '{"tz":"Asia/Tokyo"}'],
    ]);
  });

  it('asks again when a stream ends cleanly without a finish_reason or [DONE] (a proxy cut it short), and takes one that has either', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    const chunk = (delta: object, finish: string | null = null) => ({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
    const cut = sse(chunk({ role: 'assistant', content: '' }), chunk({ content: 'Do not run ' }), chunk({ content: 'the migration' }));
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body: cut } }, { text: 'Do not run the migration until the backup has finished.' });
    const events: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: (d) => events.push(d), onTextReset: (reason) => events.push(`<reset: ${reason}>`) });
    expect(result.text).toBe('Do not run the migration until the backup has finished.');
    expect(events.slice(0, 3)).toEqual(['Do not run ', 'the migration', '<reset: retry>']);
    expect(sleeps).toHaveLength(1);

    // Some servers end with [DONE] and no finish_reason: that is a whole answer.
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body: `${cut}data: [DONE]\n\n` } });
    expect((await client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: () => {}, onTextReset: () => {} })).text).toBe('Do not run the migration');
  });

  it.each(['hermes', 'auto'] as const)('never streams <tool_call> text in %s mode', async (toolMode) => {
    const { client } = testClient([providerAt(server.url, { toolMode })]);
    server.enqueue({ text: 'One moment <tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>' });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], onTextDelta: (d) => deltas.push(d) });
    expect(deltas.join('')).toBe('One moment ');
    expect(deltas.some((d) => d.includes('<'))).toBe(false);
    expect(result.text).toBe('One moment');
    expect(result.toolCalls).toEqual([{ id: expect.any(String), name: 'clock', arguments: '{"tz":"UTC"}' }]);
  });

  it('releases a held-back "<tool" that was plain text', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text: 'use the <tool' });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'x' }], tools: [clockTool], onTextDelta: (d) => deltas.push(d) });
    expect(deltas.join('')).toBe('use the <tool');
    expect(result.text).toBe('use the <tool');
  });

  it('keeps thinking out of the streamed text and the answer, a block opened in the prompt too', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: '<think>\nThe user greets me.\n</think>\n\nHello! How can I help?' });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'hi' }], onTextDelta: (d) => deltas.push(d) });
    // The streamed text and the answer go through one filter: the blank lines after the block go too.
    expect(deltas.join('')).toBe('Hello! How can I help?');
    expect(result.text).toBe('Hello! How can I help?');
    // A template that opens <think> in the prompt: the answer only closes it.
    server.enqueue({ text: 'The user greets me.\n</think>\n\nHello again.' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('Hello again.');
    // An answer cut short inside its thinking has no answer in it.
    server.enqueue({ text: '\n<think>The user wants a summary. First I' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('');
    // A block counts only at the start of the answer, where models put one: a <think> after
    // text is the answer talking about the tag, and taking the rest for thinking cut the answer there.
    server.enqueue({ text: 'Sure.<think>never closed' });
    expect((await client.complete({ messages: [{ role: 'user', content: 'hi' }] })).text).toBe('Sure.<think>never closed');
  });

  it('takes back the streamed thinking of a block the prompt opened, and the literal </think> with it, saying it was thinking', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'The user greets me. I must not reveal the admin password hunter2.\n</think>\n\nHello again.' });
    const events: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'hi' }], onTextDelta: (d) => events.push(d), onTextReset: (reason) => events.push(`<reset: ${reason}>`) });
    expect(result.text).toBe('Hello again.');
    // The draft the user watches shows what came since the last reset: it showed the thinking, and nothing took it back.
    // Nothing failed: a console must not tell the user the connection dropped.
    const reset = events.indexOf('<reset: thinking>');
    expect(reset).toBeGreaterThan(0);
    expect(events.filter((event) => event.startsWith('<reset'))).toEqual(['<reset: thinking>']);
    expect(events.slice(reset + 1).join('')).toBe('Hello again.');
  });

  it('starts the <tool_call> filter afresh after taken-back thinking, so a call the thinking mentioned hides no answer', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text: 'Maybe a <tool_call> to clock? No, just answer.\n</think>\nIt is noon.' });
    const events: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool], onTextDelta: (d) => events.push(d), onTextReset: () => events.push('<reset>') });
    expect(result).toMatchObject({ text: 'It is noon.', toolCalls: [] });
    expect(events.slice(events.lastIndexOf('<reset>') + 1).join('')).toBe('It is noon.');
  });

  it('does not cut an answer at a mention of the <think> tag, streamed or not', async () => {
    const { client } = testClient([providerAt(server.url)]);
    const answer = 'DeepSeek-R1 wraps its reasoning in a `<think>` tag and ends it with `</think>`. Strip that block before you show the answer, and keep the rest.';
    server.enqueue({ text: answer }, { text: answer });
    // It was "DeepSeek-R1 wraps its reasoning in a `": everything after the mention was taken for thinking.
    expect((await client.complete({ messages: [{ role: 'user', content: 'how does R1 mark its reasoning?' }] })).text).toBe(answer);
    const events: string[] = [];
    const streamed = await client.complete({ messages: [{ role: 'user', content: 'again' }], onTextDelta: (d) => events.push(d), onTextReset: () => events.push('<reset>') });
    expect(streamed.text).toBe(answer);
    expect(events.join('')).toBe(answer);
  });

  it('retries a stream that failed before any text was delivered', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    server.enqueue({ error: { status: 500 } }, { text: 'second try' });
    const deltas: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: (d) => deltas.push(d) });
    expect(result.text).toBe('second try');
    expect(deltas.join('')).toBe('second try');
    expect(sleeps).toEqual([50]);
  });

  it('neither retries nor fails over once text has been delivered', async () => {
    const backup = await startFakeModelServer();
    try {
      const { client, sleeps } = testClient([providerAt(server.url), providerAt(backup.url)]);
      const chunk = (delta: object) => ({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] });
      server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body: sse(chunk({ content: 'Hel' }), { error: { message: 'upstream died', code: 502 } }) } });
      const deltas: string[] = [];
      const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: (d) => deltas.push(d) }));
      expect(error.code).toBe('unavailable');
      expect(deltas).toEqual(['Hel']);
      expect(sleeps).toEqual([]);
      expect(server.chatRequests()).toHaveLength(1);
      expect(backup.chatRequests()).toHaveLength(0);
    } finally {
      await backup.close();
    }
  });

  it('retries and fails over after text was delivered when the caller can take it back', async () => {
    const backup = await startFakeModelServer();
    try {
      const { client, sleeps } = testClient([providerAt(server.url), providerAt(backup.url)], { retry: { maxRetries: 1, baseDelayMs: 50, maxDelayMs: 50, maxRetryAfterMs: 50 } });
      // Each cut comes once the client has taken the text before it.
      const seen = (text: string) => new Promise<void>((resolve) => waiting.set(text, resolve));
      const waiting = new Map<string, () => void>();
      server.enqueue({ stream: ['Hel', seen('Hel')], drop: true }, { stream: ['Hello, wo', seen('Hello, wo')], drop: true });
      backup.enqueue({ stream: ['Hello, ', 'world.'] });
      const events: string[] = [];
      const onTextDelta = (delta: string) => {
        events.push(delta);
        waiting.get(delta)?.();
      };
      const result = await client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta, onTextReset: (reason) => events.push(`<reset: ${reason}>`) });
      expect(result.text).toBe('Hello, world.');
      expect(events).toEqual(['Hel', '<reset: retry>', 'Hello, wo', '<reset: retry>', 'Hello, ', 'world.']);
      expect(sleeps).toHaveLength(1);
      expect(server.chatRequests()).toHaveLength(2);
      expect(backup.chatRequests()).toHaveLength(1);
    } finally {
      await backup.close();
    }
  });

  it('maps a stream without any answer to invalid_model_output', async () => {
    const { client } = testClient([providerAt(server.url)], { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    server.enqueue({ raw: { status: 200, contentType: 'text/event-stream', body: 'data: [DONE]\n\n' } });
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: () => {} }));
    expect(error.code).toBe('invalid_model_output');
  });

  it('reports a provider cost sent in the usage chunk', async () => {
    const { client, calls } = testClient([providerAt(server.url)]);
    server.enqueue({ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 1, cost: 0.0042 } });
    await client.complete({ messages: [{ role: 'user', content: 'x' }], onTextDelta: () => {} });
    expect(calls[0]?.costUsd).toBe(0.0042);
  });
});

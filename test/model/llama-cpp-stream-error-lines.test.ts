/**
 * llama.cpp's server before its late-2025 HTTP rewrite sends an error found after the stream
 * began (a prompt over its context size is found only then) as an `error:` line, which is no
 * server-sent-events field: the openai package drops it, then `data: [DONE]` ends the stream.
 * The reason was lost ("ended the stream without an answer", retried, then "a reply I couldn't
 * use"), and text streamed before it passed as a complete answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ErrorLineWatch } from '../../src/model/http-fetch.js';
import { providerAt, rejectionOf, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'llama', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const events = (...parts: string[]) => ({ raw: { status: 200, contentType: 'text/event-stream', body: parts.join('') } });
const errorLine = (error: object) => `error: ${JSON.stringify(error)}\n\n`;

describe("llama.cpp's `error:` lines in a stream", () => {
  it('a prompt over the context size is the bad request it is, with its words, not retried', async () => {
    const { client, sleeps } = testClient([providerAt(server.url)]);
    const tooLong = events(errorLine({ code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 5000, n_ctx: 4096 }), 'data: [DONE]\n\n');
    server.enqueue(tooLong, tooLong);
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }], onTextDelta: () => {} }));
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('exceeds the available context size');
    expect(server.chatRequests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('a failure after some text is a failure: asked again, the text taken back', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue(events(chunk({ role: 'assistant', content: 'Hello wor' }), errorLine({ code: 500, message: 'llama_decode failed', type: 'server_error' }), 'data: [DONE]\n\n'), { text: 'Hello world.' });
    const seen: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'hi' }], onTextDelta: (d) => seen.push(d), onTextReset: (reason) => seen.push(`<reset: ${reason}>`) });
    expect(result.text).toBe('Hello world.');
    expect(seen.join('')).toBe('Hello wor<reset: retry>Hello world.');
  });

  it('an error line is found whole across network chunks, and only at the start of a line', () => {
    const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const watch = new ErrorLineWatch();
    for (const piece of ['data: {"choices":[{"delta":{"content":"\\nerror: not this"}}]}\n\ner', 'ror: {"code":503,"mess', latin1('age":"Modèle en cours de chargement"}\r\n\r\ndata: [DONE]\n\n')]) watch.push(piece);
    expect(watch.found).toBe('{"code":503,"message":"Modèle en cours de chargement"}');
    const quiet = new ErrorLineWatch();
    for (const piece of ['data: {"a":1}\n\ndata: error: {"x":1}\n', 'errors: 3\n\n', 'data: [DONE]\n\n']) quiet.push(piece);
    expect(quiet.found).toBeUndefined();
  });
});

/**
 * The model of the batch benchmark, run as a child process of bench/batch.ts: an
 * OpenAI-compatible chat endpoint answering each call after a fixed latency, with a
 * tool call first and the answer once the tool result is in. Reports its URL, and on
 * request its call count and CPU time, over IPC.
 *
 * Deliberately lean (not test/fakes/model-server.ts, which records and scripts every
 * request): it shares the benchmark machine's cores with Cairn, while a real inference
 * server runs elsewhere, so its own cost should be as small as an HTTP server allows.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const latencyMs = Number(process.argv[2] ?? 50);
let calls = 0;

function completion(message: object, finishReason: string, usage: { prompt_tokens: number; completion_tokens: number }): Buffer {
  const body = { id: 'chatcmpl-bench', object: 'chat.completion', created: 0, model: 'bench', choices: [{ index: 0, message, finish_reason: finishReason }], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } };
  return Buffer.from(JSON.stringify(body));
}
const toolCall = completion({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'current_time', arguments: '{}' } }] }, 'tool_calls', { prompt_tokens: 300, completion_tokens: 10 });
const answer = completion({ role: 'assistant', content: 'ok' }, 'stop', { prompt_tokens: 400, completion_tokens: 2 });

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    calls++;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages?: { role: string }[] };
    const reply = body.messages?.at(-1)?.role === 'user' ? toolCall : answer;
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length }).end(reply), latencyMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }));
process.on('message', () => {
  const cpu = process.cpuUsage();
  process.send?.({ calls, cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

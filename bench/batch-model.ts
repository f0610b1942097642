/**
 * The model of the batch benchmark, run as a child process of bench/batch.ts: the
 * scripted fake server answering each call after a fixed latency, with a tool call
 * first and the answer after the tool result. Reports its URL and call count over IPC.
 */
import { startFakeModelServer, type ChatBody } from '../test/fakes/model-server.js';

const latencyMs = Number(process.argv[2] ?? 50);
const server = await startFakeModelServer({
  defaultReply: (request) => {
    const messages = ((request.body as ChatBody).messages ?? []) as { role: string }[];
    const reply = messages.at(-1)?.role === 'user' ? { toolCalls: [{ name: 'current_time', arguments: {} }], usage: { prompt_tokens: 300, completion_tokens: 10 } } : { text: 'ok', usage: { prompt_tokens: 400, completion_tokens: 2 } };
    return { delayMs: latencyMs, then: reply };
  },
});
process.send?.({ url: server.url });
process.on('message', () => process.send?.({ calls: server.chatRequests().length, cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000) }));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));

/**
 * A vLLM-style `POST /tokenize` on loopback: renders chat messages with a ChatML-like
 * template and returns one token per character (its code point), so tests can decode
 * tokens and check masks by eye.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Message {
  role: string;
  content: string | null;
  tool_calls?: { function: { name: string; arguments: string } }[] | undefined;
}

export function renderChat(messages: readonly Message[], addGenerationPrompt: boolean, tools: readonly { function: { name: string } }[] = []): string {
  let text = tools.length ? `<tools>${tools.map((t) => t.function.name).join(',')}</tools>\n` : '';
  for (const m of messages) {
    const calls = (m.tool_calls ?? []).map((c) => `<tool_call>${c.function.name}(${c.function.arguments})</tool_call>`).join('');
    text += `<|im_start|>${m.role}\n${m.content ?? ''}${calls}<|im_end|>\n`;
  }
  return addGenerationPrompt ? `${text}<|im_start|>assistant\n` : text;
}

export const decode = (tokens: readonly number[]) => String.fromCodePoint(...tokens);

export async function startFakeTokenizer(): Promise<{ url: string; calls: number; close(): Promise<void> }> {
  const state = { calls: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Message[]; add_generation_prompt?: boolean; tools?: { function: { name: string } }[] };
      const text = renderChat(body.messages, body.add_generation_prompt ?? true, body.tools);
      const tokens = [...text].map((ch) => ch.codePointAt(0) as number);
      res.writeHead(req.url === '/tokenize' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count: tokens.length, max_model_len: 32768, tokens }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokenize`,
    get calls() {
      return state.calls;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * The batch benchmark's ceiling on the machine it runs on: the same 1,000 tasks of two
 * calls each, 64 at once, against the same model process, from a client that does
 * nothing but plain node:http and JSON. Run by bench/batch.ts in a process of its own,
 * so it starts as cold as Cairn's first pass; what it reaches is the best efficiency any
 * client could show here, which makes Cairn's own number readable on any machine.
 */
import { Agent, request } from 'node:http';

interface Message {
  role: string;
  content: string | null;
}

const [url, tasksArg, concurrencyArg] = process.argv.slice(2);
if (!url || !tasksArg || !concurrencyArg) throw new Error('usage: batch-floor.ts <model base URL> <tasks> <concurrency>');
const tasks = Number(tasksArg);
const concurrency = Number(concurrencyArg);
const endpoint = new URL(`${url}/chat/completions`);
const agent = new Agent({ keepAlive: true });

function complete(messages: Message[]): Promise<{ choices: { message: Message }[] }> {
  const body = JSON.stringify({ model: 'bench', messages });
  return new Promise((resolve, reject) => {
    const outgoing = request(endpoint, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { choices: { message: Message }[] }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

let next = 0;
let calls = 0;
async function lane(): Promise<void> {
  while (next < tasks) {
    const question: Message = { role: 'user', content: `What time is it for task ${next++}?` };
    const first = await complete([question]);
    const toolCall = first.choices[0]?.message ?? { role: 'assistant', content: null };
    await complete([question, toolCall, { role: 'tool', content: 'now' }]);
    calls += 2;
  }
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, lane));
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
agent.destroy();
process.send?.({ calls, wallMs, cpuMsPerTask: (cpu.user + cpu.system) / 1000 / tasks }, () => process.exit(0));

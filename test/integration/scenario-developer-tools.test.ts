/**
 * A developer extends Cairn with her company's own tools. Dana runs Cairn for Acme's support team and wants it to
 * "look up an order in our orders API" and "open a ticket in our tracker", without forking Cairn. She writes two
 * modules in a folder of her own (one TypeScript with zod, one plain JS with a JSON Schema), names the folder in
 * CAIRN_TOOL_MODULES, tries them with `cairn tools check` and `cairn tools run`, and starts Cairn. Over the next days:
 * a colleague who is no admin uses the order lookup; the orders API fails with an error quoting its bearer token; she
 * makes a mistake in a module (a syntax error, a name Cairn's own tools use, a module that throws at import) and the
 * start refuses, naming the file; she edits a module while Cairn runs; doctor lists what is loaded. Before, none of it
 * existed: the only way was to edit src/main.ts in a fork. The real `startCairn`, the real CLI in process, the real
 * SQLite; the orders API and the tracker are a loopback HTTP server; modules are real files, loaded as Cairn loads them.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess, runCairnOn, useCairnDataDir } from '../helpers/cli-in-process.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { createLogger } from '../../src/core/logger.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { checkToolModules } from '../../src/cli/doctor-tools.js';

const ORDERS_TOKEN = 'acme-orders-0123456789abcdef';

/** Acme's orders API and ticket tracker: what they were asked, with whose name. */
interface AcmeApi {
  url: string;
  requests: { method: string; path: string; user: string | undefined; body: string }[];
  close(): Promise<void>;
}

async function startAcmeApi(): Promise<AcmeApi> {
  const requests: AcmeApi['requests'] = [];
  const read = async (request: IncomingMessage) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    return body;
  };
  const server: Server = createServer((request, response) => {
    void read(request).then((body) => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', user: request.headers['x-acme-user'] as string | undefined, body });
      if (request.headers.authorization !== `Bearer ${ORDERS_TOKEN}`) return response.writeHead(401).end('no token');
      if (request.url === '/orders/A-500') return response.writeHead(500).end(`internal error; request was GET /orders/A-500 with Authorization: Bearer ${ORDERS_TOKEN}`);
      if (request.url?.startsWith('/orders/')) return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: request.url.slice(8), status: 'shipped', eta: '2026-11-27' }));
      if (request.url === '/tickets' && request.method === 'POST') return response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ key: 'SUP-101' }));
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((done) => server.close(() => done())) };
}

/** Dana's folder of tool modules, with zod installed beside them as she would (`npm install zod`). */
function writeToolsFolder(api: AcmeApi): string {
  const folder = join(tempDir('acme-tools-'), 'tools');
  mkdirSync(join(folder, 'node_modules'), { recursive: true });
  symlinkSync(resolve('node_modules/zod'), join(folder, 'node_modules', 'zod'));
  writeFileSync(join(folder, 'orders.ts'), ordersModule(api, 'Look up an order in the Acme orders API by its id (A-12345): status and delivery date.'));
  writeFileSync(
    join(folder, 'tickets.mjs'),
    `export const tools = [{
  name: 'open_ticket',
  description: 'Open a ticket in the support tracker. Returns its key.',
  parameters: { type: 'object', properties: { summary: { type: 'string', minLength: 5, description: 'One line' }, priority: { type: 'string', enum: ['low', 'high'] } }, required: ['summary'] },
  async run(args, context) {
    const response = await fetch('${api.url}/tickets', { method: 'POST', body: JSON.stringify(args), headers: { authorization: 'Bearer ${ORDERS_TOKEN}', 'x-acme-user': context.caller.account }, signal: context.signal });
    return 'Opened ' + (await response.json()).key + ' for ' + context.caller.name;
  },
}];
`,
  );
  // Her module's own test, and notes, lie beside it: they are not tool modules.
  writeFileSync(join(folder, 'orders.test.ts'), 'throw new Error("a test file is not loaded");\n');
  writeFileSync(join(folder, 'README.md'), '# Acme tools\n');
  return folder;
}

function ordersModule(api: AcmeApi, description: string): string {
  return `import { z } from 'zod';
export default {
  name: 'lookup_order',
  description: ${JSON.stringify(description)},
  parameters: z.object({ orderId: z.string().regex(/^A-\\d+$/).describe('The order id, e.g. A-12345') }),
  adminOnly: false,
  async run({ orderId }: { orderId: string }, context: { signal: AbortSignal; caller: { account: string } }) {
    const response = await fetch('${api.url}/orders/' + orderId, { headers: { authorization: 'Bearer ${ORDERS_TOKEN}', 'x-acme-user': context.caller.account }, signal: context.signal });
    if (!response.ok) throw new Error('the orders API answered ' + response.status + ': ' + (await response.text()));
    return response.json();
  },
};
`;
}

let model: FakeModelServer;
let api: AcmeApi;
let dataDir: string;
let running: RunningCairn | undefined;
let log: Record<string, unknown>[];
useCairnDataDir(() => dataDir);
beforeEach(async () => {
  [model, api] = await Promise.all([startFakeModelServer(), startAcmeApi()]);
  model.setDefault(() => ({ text: 'Done.' }));
  dataDir = tempDir();
  log = [];
});
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  await Promise.all([model.close(), api.close()]);
  delete process.env.CAIRN_TOOL_MODULES;
  delete process.env.CAIRN_EXPORT_LIVE_TASKS;
});

const PEOPLE = { TELEGRAM_ALLOWED_USERS: '7', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' };

/** `cairn start` with Dana's tool modules, and a Telegram-like adapter to talk through. */
async function start(modules: string): Promise<RecordingAdapter> {
  const config = testConfig(model.url, { ...PEOPLE, CAIRN_HTTP_PORT: '0', CAIRN_TOOL_MODULES: modules }, dataDir);
  const logger = createLogger({ level: 'info', secrets: config.secrets, format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  running = await startCairn(config, { logger, host: '127.0.0.1', timers: new ManualTimers(), sleep: async () => {} });
  const telegram = new RecordingAdapter('telegram');
  running.cairn.gateway.attach(telegram);
  return telegram;
}
const from = (telegram: RecordingAdapter, senderId: string, text: string) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: senderId === '1' ? 'Dana' : 'Sam', conversationId: `telegram:${senderId}`, isDirect: true });
const offered = (index = -1) => ((model.chatRequests().at(index)?.tools ?? []) as { function: { name: string; description: string; parameters: unknown } }[]).map((tool) => tool.function);
const toolResult = (index = -1) => (model.chatRequests().at(index)?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').at(-1)?.content;

describe('a developer adds her own tools', () => {
  it('names the module in the config file or in CAIRN_TOOL_MODULES (relative to where Cairn starts)', () => {
    writeFileSync(join(dataDir, 'cairn.yaml'), 'tools:\n  modules: [./tools/orders.ts]\n');
    const fromFile = loadConfig({ env: { CAIRN_MODEL: 'm', CAIRN_BASE_URL: model.url }, dotenv: false, cwd: dataDir, configPath: 'cairn.yaml' });
    expect(fromFile.tools.modules).toEqual([join(dataDir, 'tools/orders.ts')]);
    const fromEnv = loadConfig({ env: { CAIRN_MODEL: 'm', CAIRN_BASE_URL: model.url, CAIRN_TOOL_MODULES: './tools, /opt/acme/jira.mjs' }, dotenv: false, cwd: dataDir });
    expect(fromEnv.tools.modules).toEqual([join(dataDir, 'tools'), '/opt/acme/jira.mjs']);
  });

  it('tries them before any start: `cairn tools check` lists what the model is offered, `cairn tools run` calls one', async () => {
    const folder = writeToolsFolder(api);
    const listed = await runCairnInProcess('tools', 'check', folder);
    expect(listed[0]).toBe('2 tools, as `cairn start` would offer them:');
    expect(listed).toContain(`✓ lookup_order (everyone; 60 s limit) from ${join(folder, 'orders.ts')}`);
    expect(listed).toContain('    arguments: orderId (string, required)');
    expect(listed).toContain(`✓ open_ticket (admins only; 60 s limit) from ${join(folder, 'tickets.mjs')}`);
    expect(listed).toContain('    arguments: summary (string, required), priority (string)');
    expect(listed.at(-1)).toContain('restart it for an edit to take effect');

    const ran = await runCairnInProcess('tools', 'run', 'lookup_order', '{"orderId": "A-1"}', '--module', folder, '--user', 'dana');
    expect(ran[0]).toBe('✓ lookup_order returned (as the model reads it):');
    expect(JSON.parse(ran[1]!)).toEqual({ id: 'A-1', status: 'shipped', eta: '2026-11-27' });
    expect(api.requests.at(-1)).toMatchObject({ path: '/orders/A-1', user: 'console:dana' });
    // Arguments the schema refuses are refused as the model would be told, and the API is not called.
    const refused = await runCairnInProcess('tools', 'run', 'lookup_order', '{"orderId": "12"}', '--module', folder);
    expect(refused[0]).toBe('✗ lookup_order failed (invalid_arguments); the model would read:');
    expect(api.requests).toHaveLength(1);
    process.exitCode = undefined;
  });

  it('a start offers each tool to whom its module says: the order lookup to everyone, the ticket tool to admins', async () => {
    const telegram = await start(writeToolsFolder(api));
    expect(log.find((line) => line.msg === 'tools from tool modules added (an edit to a module takes effect at the next start)')?.tools).toEqual(['lookup_order (everyone)', 'open_ticket (admins only)']);

    await running!.cairn.gateway.receive(from(telegram, '7', 'hi'));
    const forSam = offered();
    expect(forSam.map((tool) => tool.name)).toContain('lookup_order');
    expect(forSam.map((tool) => tool.name)).not.toContain('open_ticket');
    // Sent as every provider takes it (no "$schema"), with the parameter's description.
    expect(forSam.find((tool) => tool.name === 'lookup_order')?.parameters).toEqual({
      type: 'object',
      properties: { orderId: { type: 'string', pattern: '^A-\\d+$', description: 'The order id, e.g. A-12345' } },
      required: ['orderId'],
    });
    await running!.cairn.gateway.receive(from(telegram, '1', 'hi'));
    expect(offered().map((tool) => tool.name)).toEqual(expect.arrayContaining(['lookup_order', 'open_ticket']));
  });

  it('the model calls them with what they need: the arguments, who asked, a signal; the task is recorded as any other', async () => {
    const telegram = await start(writeToolsFolder(api));
    model.enqueue({ toolCalls: [{ name: 'lookup_order', arguments: { orderId: 'A-42' } }] }, { text: 'Order A-42 shipped; it arrives on the 27th.' });
    await running!.cairn.gateway.receive(from(telegram, '7', 'where is order A-42?'));
    expect(telegram.texts().at(-1)).toBe('Order A-42 shipped; it arrives on the 27th.');
    expect(api.requests.at(-1)).toMatchObject({ path: '/orders/A-42', user: 'telegram:7' });
    expect(JSON.parse(toolResult()!)).toEqual({ id: 'A-42', status: 'shipped', eta: '2026-11-27' });

    model.enqueue({ toolCalls: [{ name: 'open_ticket', arguments: { summary: 'Customer asks about A-42', priority: 'high' } }] }, { text: 'Opened SUP-101.' });
    await running!.cairn.gateway.receive(from(telegram, '1', 'open a ticket for it'));
    expect(toolResult()).toBe('Opened SUP-101 for Dana');
    expect(JSON.parse(api.requests.at(-1)!.body)).toEqual({ summary: 'Customer asks about A-42', priority: 'high' });

    // Counted as Cairn's own tools are: the tasks, their tool calls, and the trajectories the audits and exports read.
    const tasks = running!.cairn.db.prepare('SELECT user_id, tool_calls, tool_errors, trajectory FROM tasks ORDER BY id').all() as { user_id: string; tool_calls: number; tool_errors: number; trajectory: string }[];
    expect(tasks.map((task) => [task.user_id, task.tool_calls, task.tool_errors])).toEqual([['telegram:7', 1, 0], ['telegram:1', 1, 0]]);
    expect(tasks[0]!.trajectory).toContain('lookup_order');

    // Exported for fine-tuning with the tools they used among those offered (a call to a tool not offered is an invalid example).
    await running!.stop();
    Object.assign(process.env, { CAIRN_TOOL_MODULES: running!.cairn.config.tools.modules.join(','), CAIRN_EXPORT_LIVE_TASKS: 'true' });
    const out = join(tempDir(), 'live.jsonl');
    const printed = await runCairnOn(dataDir, model.url, 'export', '--live', '--format', 'openai', '--out', out);
    expect(printed[0]).toMatch(/^Wrote 2 /);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { tools: { function: { name: string } }[] });
    expect(lines.map((line) => line.tools.map((tool) => tool.function.name).filter((name) => ['lookup_order', 'open_ticket'].includes(name)))).toEqual([['lookup_order'], ['open_ticket']]);
  });

  it('the orders API fails: the model reads the error with its token masked, the turn still answers, the log names the module', async () => {
    const telegram = await start(writeToolsFolder(api));
    model.enqueue({ toolCalls: [{ name: 'lookup_order', arguments: { orderId: 'A-500' } }] }, { text: 'The orders system is failing right now; try again later.' });
    await running!.cairn.gateway.receive(from(telegram, '7', 'where is order A-500?'));
    expect(telegram.texts().at(-1)).toBe('The orders system is failing right now; try again later.');
    const error = toolResult()!;
    expect(error).toMatch(/^Error from lookup_order: the orders API answered 500: internal error;/);
    expect(error).not.toContain(ORDERS_TOKEN);
    const failed = log.find((line) => line.msg === 'a tool from a tool module failed (the model was told its error)');
    expect(failed).toMatchObject({ tool: 'lookup_order', module: expect.stringContaining('orders.ts') as string });
    const tasks = running!.cairn.db.prepare('SELECT tool_errors FROM tasks').all();
    expect(tasks).toEqual([{ tool_errors: 1 }]);
  });

  it('a mistake in a module refuses the start, naming the file and what to fix; with it fixed, the start goes on', async () => {
    const folder = writeToolsFolder(api);
    const refusal = async (): Promise<string> => {
      const failed = await start(folder).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(ConfigError);
      return (failed as ConfigError).message;
    };
    writeFileSync(join(folder, 'broken.ts'), 'export default { name: "x", description: "y", parameters: {}, run() {} ;\n');
    // The file and the line where it breaks.
    expect(await refusal()).toContain(`cannot load the tool module ${join(folder, 'broken.ts')}: Transform failed with 1 error:\n${join(folder, 'broken.ts')}:1:71: ERROR: Expected "}" but found ";"`);

    writeFileSync(join(folder, 'broken.ts'), 'throw new Error("JIRA_URL is not set");\n');
    expect(await refusal()).toContain(`cannot load the tool module ${join(folder, 'broken.ts')}: JIRA_URL is not set`);

    writeFileSync(join(folder, 'broken.ts'), 'export default { name: "web_search", description: "Search our wiki", parameters: { type: "object", properties: {} }, run: () => "" };\n');
    expect(await refusal()).toContain(`${join(folder, 'broken.ts')}: its tool ("web_search"): "web_search" is the name of one of Cairn's own tools: choose another (e.g. "my_web_search").`);

    writeFileSync(join(folder, 'broken.ts'), 'export default { name: "open ticket", description: "Again", parameters: { type: "object", properties: {} }, execute: () => "" };\n');
    expect(await refusal()).toContain('"execute" is called "run" here: rename it to run(args, context).');

    writeFileSync(join(folder, 'broken.ts'), 'export default { name: "open_ticket", description: "Again", parameters: { type: "object", properties: {} }, run: () => "" };\n');
    expect(await refusal()).toContain(`${join(folder, 'tickets.mjs')}: tool "open_ticket" is also defined in ${join(folder, 'broken.ts')}: each tool needs a name of its own.`);

    writeFileSync(join(folder, 'broken.ts'), 'import { z } from "zod";\nexport default { name: "due", description: "Orders due", parameters: z.object({ before: z.date() }), run: () => "" };\n');
    expect(await refusal()).toContain('"parameters" has a part the model cannot send as JSON (Date cannot be represented in JSON Schema): use z.string() for a date (ISO 8601)');

    // A refused start touched nothing: no lease is left held, and the fixed folder starts at once.
    writeFileSync(join(folder, 'broken.ts'), 'export default { name: "due", description: "Orders due", parameters: { type: "object", properties: { before: { type: "string", format: "date" } } }, run: () => "none" };\n');
    await start(folder);
    expect(running!.cairn.tools.names()).toEqual(expect.arrayContaining(['due', 'lookup_order', 'open_ticket']));
  });

  it('an edit while Cairn runs takes effect at the next start (as the log and `cairn tools check` say)', async () => {
    const folder = writeToolsFolder(api);
    const telegram = await start(folder);
    writeFileSync(join(folder, 'orders.ts'), ordersModule(api, 'Look up an order, its status, delivery date and the carrier.'));
    await running!.cairn.gateway.receive(from(telegram, '7', 'hi'));
    expect(offered().find((tool) => tool.name === 'lookup_order')?.description).toMatch(/^Look up an order in the Acme orders API/);
    await running!.stop();
    await start(folder);
    await running!.cairn.gateway.receive(from(telegram, '7', 'hi again'));
    expect(offered().find((tool) => tool.name === 'lookup_order')?.description).toBe('Look up an order, its status, delivery date and the carrier.');
  });

  it('`cairn doctor` lists the tools loaded, and marks a module that would refuse the start', async () => {
    const folder = writeToolsFolder(api);
    const config = testConfig(model.url, { CAIRN_TOOL_MODULES: folder }, dataDir);
    expect(await checkToolModules(config)).toEqual([
      { name: 'tool modules', ok: true, detail: `2 tools added: lookup_order (everyone, from ${join(folder, 'orders.ts')}); open_ticket (admins only, from ${join(folder, 'tickets.mjs')}). They load at the start: restart Cairn after editing a module.` },
    ]);
    writeFileSync(join(folder, 'broken.js'), 'export default { name: "x" };\n');
    const [broken] = await checkToolModules(config);
    expect(broken?.ok).toBe(false);
    expect(broken?.detail).toContain('`cairn start` refuses to start until this is fixed');
    expect(broken?.detail).toContain(join(folder, 'broken.js'));
  });
});

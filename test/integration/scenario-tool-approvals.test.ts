/**
 * A team's tools that change things wait for a person's yes. Dana runs Cairn for Acme's support team and has written
 * `refund_order` (a refund over 50 EUR needs the asker's own yes: the model may have misread which order, or how
 * much) and `close_account` (only an admin may say yes) in a tool module. Sam, who is no admin, asks Cairn for a
 * refund in his DM: Cairn shows him what it is about to do, with Yes and No buttons, and waits; a small refund goes
 * through at once. He says no once, with why; once he is away and nobody answers. In the team's group a colleague
 * taps Yes on Sam's refund (refused: it is Sam's to answer, or an admin's). Sam asks to close an account, which only
 * Dana can allow. Dana tries her module from the terminal first (`cairn tools run` shows what would be asked, and
 * runs it with --yes). Then she runs the support tasks as a batch, to measure a new model: the batch had no tool
 * modules at all (every refund task failed with "Unknown tool"); now it loads them, in worker processes too, refuses
 * the refunds (nobody to ask) unless given --approve-tools, and says so in the log. The refund API wants to know whose
 * refund it is across Slack and Telegram: `context.caller.accounts` lists the person's linked accounts.
 * Before, none of it existed: a module with `needsApproval` refused the start ('"needsApproval" is not a key of a tool').
 * The real `startCairn`, the real CLI in process, the real batch runner and worker processes, the real SQLite; the
 * payments API is a loopback HTTP server; the module is a real file, loaded as Cairn loads it.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { createLogger } from '../../src/core/logger.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { holdRepliesUntilWorkersStart, lastMessage, writeTasks } from '../rl/helpers.js';

/** Acme's payments API: the refunds and closures it was asked for. */
interface PaymentsApi {
  url: string;
  requests: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

async function startPaymentsApi(): Promise<PaymentsApi> {
  const requests: PaymentsApi['requests'] = [];
  const read = async (request: IncomingMessage) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    return body;
  };
  const server: Server = createServer((request, response) => {
    void read(request).then((body) => {
      requests.push({ path: request.url ?? '', body: JSON.parse(body || '{}') as Record<string, unknown> });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((done) => server.close(() => done())) };
}

/** Dana's module: a refund over 50 EUR waits for the asker's yes; closing an account waits for an admin's. */
function writeModule(api: PaymentsApi): string {
  const file = join(tempDir('acme-tools-'), 'payments.mjs');
  writeFileSync(
    file,
    `export default [{
  name: 'refund_order',
  description: 'Refund an order, in EUR.',
  parameters: { type: 'object', properties: { orderId: { type: 'string' }, amount: { type: 'number' } }, required: ['orderId', 'amount'] },
  adminOnly: false,
  needsApproval: (args) => (args.amount > 50 ? 'refunds ' + args.amount + ' EUR to the customer\\'s card' : undefined),
  async run(args, context) {
    await fetch('${api.url}/refunds', { method: 'POST', body: JSON.stringify({ ...args, by: context.caller.account, accounts: context.caller.accounts }), signal: context.signal });
    return 'Refunded ' + args.amount + ' EUR on ' + args.orderId;
  },
}, {
  name: 'close_account',
  description: 'Close a customer account.',
  parameters: { type: 'object', properties: { customer: { type: 'string' } }, required: ['customer'] },
  adminOnly: false,
  needsApproval: true,
  approvedBy: 'admin',
  async run(args, context) {
    await fetch('${api.url}/close', { method: 'POST', body: JSON.stringify(args), signal: context.signal });
    return 'Closed ' + args.customer;
  },
}];
`,
  );
  return file;
}

/** Timers fired by hand, by their delay: the approval's timeout is fired without the start's other timers. */
class Timers {
  private next = 1;
  private readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout = (callback: () => void, ms: number): number => {
    this.pending.set(this.next, { callback, ms });
    return this.next++;
  };
  clearTimeout = (handle: unknown): void => void this.pending.delete(handle as number);
  fire(ms: number): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(id);
      timer.callback();
    }
  }
}

let model: FakeModelServer;
let api: PaymentsApi;
let dataDir: string;
let running: RunningCairn | undefined;
let timers: Timers;
useCairnDataDir(() => dataDir);
beforeEach(async () => {
  [model, api] = await Promise.all([startFakeModelServer(), startPaymentsApi()]);
  model.setDefault(() => ({ text: 'Done.' }));
  dataDir = tempDir();
  timers = new Timers();
});
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  await Promise.all([model.close(), api.close()]);
  delete process.env.CAIRN_TOOL_MODULES;
});

const PEOPLE = { TELEGRAM_ALLOWED_USERS: '7,8', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' };
const NAMES: Record<string, string> = { '1': 'Dana', '7': 'Sam', '8': 'Lee' };
const TIMEOUT_MS = 300_000;

async function start(): Promise<RecordingAdapter> {
  const config = testConfig(model.url, { ...PEOPLE, CAIRN_HTTP_PORT: '0', CAIRN_TOOL_MODULES: writeModule(api) }, dataDir);
  const logger = createLogger({ level: 'silent', secrets: config.secrets });
  running = await startCairn(config, { logger, host: '127.0.0.1', timers, sleep: async () => {} });
  const telegram = new RecordingAdapter('telegram');
  running.cairn.gateway.attach(telegram);
  return telegram;
}

const from = (telegram: RecordingAdapter, senderId: string, text: string, where = `telegram:${senderId}`) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: NAMES[senderId] ?? senderId, conversationId: where, isDirect: where === `telegram:${senderId}`, addressed: true, ...commandOf(text) });
const commandOf = (text: string) => {
  const match = /^\/(\w+)\s*(.*)$/.exec(text);
  return match ? { command: { name: match[1]!, args: match[2]! } } : {};
};
const toolResult = () => (model.chatRequests().at(-1)?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').at(-1)?.content;

/** Sam's (or another's) request that leads to a call; resolves with the question posted and the turn, still waiting. */
async function asked(telegram: RecordingAdapter, senderId: string, call: { name: string; arguments: object }, where?: string) {
  model.enqueue({ toolCalls: [call] }, { text: 'All done.' });
  const before = telegram.sent.length;
  const turn = running!.cairn.gateway.receive(from(telegram, senderId, 'please do it', where));
  await vi.waitFor(() => expect(telegram.sent.slice(before).find((s) => s.reply.buttons?.length)).toBeDefined());
  const question = telegram.sent.slice(before).find((s) => s.reply.buttons?.length)!;
  const id = /\/(?:confirm|approve) (\w+)/.exec(question.reply.text)?.[1] ?? '';
  return { question, id, turn };
}

describe('tools that change things wait for a person\'s yes', () => {
  it('Dana tries the module from the terminal: `cairn tools check` says which calls wait, `run` shows what would be asked and runs only with --yes', async () => {
    const file = writeModule(api);
    const listed = await runCairnInProcess('tools', 'check', file);
    expect(listed).toContain(`✓ refund_order (everyone, calls its needsApproval picks wait for the caller's yes; 60 s limit) from ${file}`);
    expect(listed).toContain(`✓ close_account (everyone, each call waits for an admin's yes; 60 s limit) from ${file}`);

    const shown = await runCairnInProcess('tools', 'run', 'refund_order', '{"orderId": "A-1", "amount": 420}', '--module', file);
    expect(shown).toEqual(["refund_order waits for a yes before it runs (refunds 420 EUR to the customer's card): in a chat, the person who asked is asked, with Yes and No buttons. Nothing was run: add --yes to run it."]);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    expect(api.requests).toEqual([]);
    // Under the limit its function asks for no yes: it runs.
    expect((await runCairnInProcess('tools', 'run', 'refund_order', '{"orderId": "A-2", "amount": 20}', '--module', file))[1]).toBe('Refunded 20 EUR on A-2');
    const ran = await runCairnInProcess('tools', 'run', 'refund_order', '{"orderId": "A-1", "amount": 420}', '--module', file, '--yes', '--user', 'dana');
    expect(ran).toEqual(["(refund_order waits for a yes before it runs (refunds 420 EUR to the customer's card); --yes gave it.)", '✓ refund_order returned (as the model reads it):', 'Refunded 420 EUR on A-1']);
    expect(api.requests.map((request) => request.body)).toEqual([
      { orderId: 'A-2', amount: 20, by: expect.any(String) as string, accounts: [expect.any(String) as string] },
      { orderId: 'A-1', amount: 420, by: 'console:dana', accounts: ['console:dana'] },
    ]);
  });

  it('Sam asks for a 420 EUR refund: he is shown what it will do and says yes; nothing reaches the API before it; a 20 EUR one goes at once', async () => {
    const telegram = await start();
    const { question, id, turn } = await asked(telegram, '7', { name: 'refund_order', arguments: { orderId: 'A-42', amount: 420 } });
    expect(question.conversationId).toBe('telegram:7');
    expect(question.reply.text).toContain("⚠️ The agent wants to call `refund_order` (refunds 420 EUR to the customer's card), with these arguments:");
    expect(question.reply.text).toContain('"orderId": "A-42"');
    expect(question.reply.text).toContain(`It waits for Sam's yes: /confirm ${id} to go ahead, /decline ${id} to stop it. Without an answer, it is refused in 5 minutes.`);
    expect(question.reply.buttons).toEqual([
      { label: 'Yes, go ahead', command: `/confirm ${id}` },
      { label: 'No', command: `/decline ${id}` },
    ]);
    expect(api.requests).toEqual([]);

    await running!.cairn.gateway.receive(from(telegram, '7', `/confirm ${id}`));
    await turn;
    expect(telegram.texts()).toContain(`Approved ${id}: refund_order runs now.`);
    expect(telegram.texts().at(-1)).toBe('All done.');
    expect(toolResult()).toBe('Refunded 420 EUR on A-42');
    expect(api.requests.map((request) => request.body)).toEqual([{ orderId: 'A-42', amount: 420, by: 'telegram:7', accounts: ['telegram:7'] }]);
    // The question shows how it was settled, without its buttons; the decision is kept as a held command's is.
    expect(telegram.edited.at(-1)?.text).toMatch(/✅ Approved by Sam\.$/);
    const row = running!.cairn.db.prepare('SELECT backend, tool, rule, reason, status, requested_by, decided_by FROM command_approvals WHERE id = ?').get(id);
    expect(row).toEqual({ backend: 'tool', tool: 'refund_order', rule: 'needs-approval:caller', reason: "calls refund_order: refunds 420 EUR to the customer's card", status: 'approved', requested_by: 'telegram:7', decided_by: 'telegram:7' });

    model.enqueue({ toolCalls: [{ name: 'refund_order', arguments: { orderId: 'A-43', amount: 20 } }] }, { text: 'Refunded.' });
    const sentBefore = telegram.sent.length;
    await running!.cairn.gateway.receive(from(telegram, '7', 'and 20 EUR on A-43'));
    expect(telegram.sent.slice(sentBefore).map((s) => s.reply.text)).toEqual(['Refunded.']);
    expect(api.requests).toHaveLength(2);
  });

  it('Sam says no, with why; another time he is away and nobody answers: the model is told, nothing is refunded', async () => {
    const telegram = await start();
    const declined = await asked(telegram, '7', { name: 'refund_order', arguments: { orderId: 'A-44', amount: 90 } });
    await running!.cairn.gateway.receive(from(telegram, '7', `/decline ${declined.id} wrong order, it is A-45`));
    await declined.turn;
    expect(telegram.texts()).toContain(`Denied ${declined.id}: refund_order will not run.`);
    expect(toolResult()).toBe(`Not done: refund_order waits for the user's yes before it runs (refunds 90 EUR to the customer's card), and the user said no, saying "wrong order, it is A-45" (request ${declined.id}). Do not call it again unless they ask for it; ask what they want instead.`);

    const away = await asked(telegram, '7', { name: 'refund_order', arguments: { orderId: 'A-46', amount: 90 } });
    timers.fire(TIMEOUT_MS);
    await away.turn;
    expect(toolResult()).toBe(`Not done: refund_order waits for the user's yes before it runs (refunds 90 EUR to the customer's card), and nobody said yes in time (request ${away.id}). Tell the user it was not done; call it again only if they ask.`);
    expect(telegram.edited.at(-1)?.text).toMatch(/⌛ Refused: nobody answered within 5 minutes\.$/);
    expect(api.requests).toEqual([]);
  });

  it("in the team's group, Lee's tap on Sam's refund is refused (it is Sam's to answer); an admin's answer counts", async () => {
    const telegram = await start();
    const group = 'telegram:group:-100';
    const { id, turn } = await asked(telegram, '7', { name: 'refund_order', arguments: { orderId: 'A-47', amount: 120 } }, group);
    await running!.cairn.gateway.receive(from(telegram, '8', `/confirm ${id}`, group));
    expect(telegram.texts().at(-1)).toBe(`Only Sam or an admin can answer request ${id}.`);
    expect(running!.cairn.db.prepare('SELECT status FROM command_approvals WHERE id = ?').pluck().get(id)).toBe('pending');
    expect(api.requests).toEqual([]);
    // Dana answers from her own DM, as for a held command.
    await running!.cairn.gateway.receive(from(telegram, '1', `/approve ${id}`));
    await turn;
    expect(toolResult()).toBe('Refunded 120 EUR on A-47');
  });

  it('closing an account waits for an admin: Sam cannot say yes to it himself, Dana can', async () => {
    const telegram = await start();
    const { question, id, turn } = await asked(telegram, '7', { name: 'close_account', arguments: { customer: 'C-9' } });
    expect(question.reply.text).toContain(`An admin can allow it with /approve ${id} or refuse it with /deny ${id}.`);
    expect(question.reply.buttons?.map((button) => button.command)).toEqual([`/approve ${id}`, `/deny ${id}`]);
    await running!.cairn.gateway.receive(from(telegram, '7', `/confirm ${id}`));
    expect(telegram.texts().at(-1)).toBe(`Request ${id} waits for an admin's answer; only an admin can allow or refuse it.`);
    await running!.cairn.gateway.receive(from(telegram, '1', `/approve ${id}`));
    await turn;
    expect(toolResult()).toBe('Closed C-9');
  });

  it("the refund API is told every account of the person who asked (their /link'ed Slack one too); Cairn knows no e-mail", async () => {
    const telegram = await start();
    const links = running!.cairn.access.links;
    links.redeem(links.issueCode('telegram:7', Date.now()), 'slack:T1:U7', Date.now());
    model.enqueue({ toolCalls: [{ name: 'refund_order', arguments: { orderId: 'A-48', amount: 10 } }] }, { text: 'Refunded.' });
    await running!.cairn.gateway.receive(from(telegram, '7', 'refund 10 EUR on A-48'));
    expect(api.requests.at(-1)?.body).toMatchObject({ by: 'telegram:7', accounts: ['telegram:7', 'slack:T1:U7'] });
  });
});

describe('a batch run of the support tasks', () => {
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  /** The model refunds the order its task names, then answers with what the tool said. */
  const script = (request: RecordedRequest) => {
    const last = lastMessage(request);
    if (last.role === 'user') return { toolCalls: [{ name: 'refund_order', arguments: { orderId: String(last.content).slice(-4), amount: 420 } }] };
    return { text: String(last.content) };
  };
  const tasks = ['A-61', 'A-62', 'A-63', 'A-64'].map((order) => ({ id: order, prompt: `Refund 420 EUR on ${order}`, expected: 'Refunded' }));

  it('loads the tool modules, in worker processes too; refuses what waits for a yes (nobody to ask) unless --approve-tools', async () => {
    const module = writeModule(api);
    const warnings: string[] = [];
    const config = testConfig(model.url, { CAIRN_LOG_LEVEL: 'warn', CAIRN_TOOL_MODULES: module }, dataDir);
    const logger = createLogger({ level: 'warn', secrets: [], format: 'json', destination: { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) } });
    model.setDefault(script);
    const refused = await runBatch({ tasksFile: writeTasks(tasks.slice(0, 1)), outDir: join(tempDir(), 'refused'), concurrency: 1, timeoutMs: 60_000, resume: false }, { config, overrides: { logger }, progress: quiet, notice: () => {} });
    const [trajectory] = await readAllTrajectories(refused.paths.trajectories);
    const told = trajectory?.messages.find((message) => message.role === 'tool')?.content;
    expect(told).toBe("Not done: refund_order waits for the user's yes before it runs (refunds 420 EUR to the customer's card), and nobody can be asked for it here (no chat to ask in). Tell the user it needs their yes in a chat with Cairn.");
    expect(warnings).toContain("refund_order waits for a person's yes before it runs, and a batch run has nobody to ask: its calls are refused (the model is told). --approve-tools lets them run unasked (point the tool at a test system first).");
    expect(api.requests).toEqual([]);

    // Two processes, each loading the module; --approve-tools lets the refunds through unasked.
    const { onWorkersStarted } = holdRepliesUntilWorkersStart(model, script);
    const approved = await runBatch(
      { tasksFile: writeTasks(tasks), outDir: join(tempDir(), 'approved'), concurrency: 4, timeoutMs: 60_000, resume: false, workers: 2, approveTools: true },
      { config: testConfig(model.url, { CAIRN_LOG_LEVEL: 'silent', CAIRN_TOOL_MODULES: module }, dataDir), progress: quiet, notice: () => {}, onWorkersStarted },
    );
    const results = (await readAllTrajectories(approved.paths.trajectories)).map((t) => t.messages.find((message) => message.role === 'tool')?.content);
    expect(results.sort()).toEqual(['Refunded 420 EUR on A-61', 'Refunded 420 EUR on A-62', 'Refunded 420 EUR on A-63', 'Refunded 420 EUR on A-64']);
    expect(api.requests.map((request) => request.body.orderId).sort()).toEqual(['A-61', 'A-62', 'A-63', 'A-64']);
  }, 60_000);
});

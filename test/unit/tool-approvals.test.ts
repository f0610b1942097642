/**
 * A tool's call that waits for a person's yes (Tool.needsApproval): how the registry holds it, how a module says it,
 * and how the approval gate takes the caller's own answer (/confirm, /decline) beside an admin's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { ApprovalGate, registerApprovalCommands, type ApprovalRequest } from '../../src/backends/approvals.js';
import { approvalGateHold } from '../../src/backends/tool-approvals.js';
import { ManualClock } from '../../src/core/clock.js';
import { CommandRegistry } from '../../src/core/commands.js';
import type { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ToolRegistry, type Tool, type ToolContext } from '../../src/tools/registry.js';
import { loadToolModules, type LoadedTool } from '../../src/tools/custom/load.js';
import { registerCustomTools } from '../../src/tools/custom/wrap.js';

const context = (overrides: Partial<ToolContext> = {}): ToolContext => ({
  sessionId: 's1',
  conversationId: 'telegram:7',
  userId: 'telegram:7',
  platform: 'telegram',
  isAdmin: false,
  signal: new AbortController().signal,
  now: () => 0,
  sender: { identity: 'telegram:7', id: '7', name: 'Sam', isDirect: true },
  ...overrides,
});

/** A tool that records its runs; `needsApproval` as given. */
function refund(needsApproval: NonNullable<Tool<{ amount: number }>['needsApproval']>, runs: number[]): Tool<{ amount: number }> {
  return { name: 'refund', description: 'Refund', parameters: z.object({ amount: z.number() }), needsApproval, execute: ({ amount }) => (runs.push(amount), `refunded ${amount}`) };
}
const call = (amount: number) => ({ id: 'c1', name: 'refund', arguments: JSON.stringify({ amount }) });

describe('the registry holds a call that needs a yes', () => {
  it('asks its hold with the checked arguments and the reason; runs only on a yes', async () => {
    const runs: number[] = [];
    const asked: unknown[] = [];
    const registry = new ToolRegistry().register(refund(({ amount }) => (amount > 50 ? `refunds ${amount} EUR` : undefined), runs));
    registry.holdWith(async (ask) => (asked.push(ask), ask.arguments && (ask.arguments as { amount: number }).amount === 90 ? 'no' : undefined));
    expect(await registry.execute(call(20), context())).toEqual({ ok: true, content: 'refunded 20' });
    expect(asked).toEqual([]);
    expect(await registry.execute(call(420), context())).toEqual({ ok: true, content: 'refunded 420' });
    expect(await registry.execute(call(90), context())).toEqual({ ok: false, content: 'no', error: 'not_approved' });
    expect(asked).toEqual([
      { tool: 'refund', arguments: { amount: 420 }, reason: 'refunds 420 EUR', approvedBy: 'caller' },
      { tool: 'refund', arguments: { amount: 90 }, reason: 'refunds 90 EUR', approvedBy: 'caller' },
    ]);
    expect(runs).toEqual([20, 420]);
  });

  it('refuses the call where nothing can ask (no hold), and a throw in needsApproval is the tool\'s error: nothing runs', async () => {
    const runs: number[] = [];
    const unasked = new ToolRegistry().register(refund(true, runs));
    expect(await unasked.execute(call(1), context())).toMatchObject({ ok: false, error: 'not_approved', content: expect.stringContaining("refund waits for a person's yes before it runs, and nobody can be asked for one here") as string });
    const throwing = new ToolRegistry().register(refund(() => { throw new Error('the orders API is down'); }, runs)).holdWith(async () => undefined);
    expect(await throwing.execute(call(1), context())).toEqual({ ok: false, content: 'Error from refund: the orders API is down', error: 'tool_error' });
    expect(runs).toEqual([]);
  });

  it('a turn cut off while the call waits ends the turn (not a refusal the model reads)', async () => {
    const stop = new AbortController();
    const registry = new ToolRegistry().register(refund(true, [])).holdWith(async () => {
      stop.abort(new Error('stopped'));
      return 'cancelled';
    });
    await expect(registry.execute(call(1), context({ signal: stop.signal }))).rejects.toThrow('stopped');
  });
});

describe('a module says which calls need a yes', () => {
  const write = (source: string) => {
    const file = join(tempDir('tool-module-'), 'tool.mjs');
    writeFileSync(file, source);
    return file;
  };
  const tool = (extra: string) => `export default { name: "refund", description: "Refund", parameters: { type: "object", properties: { amount: { type: "number" } } }, run: (args) => "refunded " + args.amount, ${extra} };\n`;

  it('refuses a needsApproval or approvedBy it cannot read, saying what to write', async () => {
    const problems = async (extra: string) => loadToolModules([write(tool(extra))]).then(() => [], (error: unknown) => (error as ConfigError).problems);
    expect((await problems('needsApproval: "yes"'))[0]).toContain('"needsApproval" is the text "yes": write true (every call waits for a yes), or a function of the arguments returning the reason');
    expect((await problems('approvedBy: "boss"'))[0]).toContain('"approvedBy" is the text "boss": write "caller" (the person who asked says yes; the default) or "admin".');
    const [loaded] = await loadToolModules([write(tool('needsApproval: true, approvedBy: "admin"'))]);
    expect(loaded).toMatchObject({ needsApproval: true, approvedBy: 'admin' });
  });

  it("a needsApproval function gets the arguments and the caller; an answer it cannot read is the tool's error", async () => {
    const file = write(tool('needsApproval: (args, context) => args.amount > 50 ? "refunds " + args.amount + " for " + context.caller.accounts.join(" and ") : args.amount === 7 ? 42 : undefined'));
    const registry = new ToolRegistry();
    registerCustomTools(registry, await loadToolModules([file]), { logger: silentLogger, secrets: [], timers: new ManualTimers(), accountsOf: () => ['telegram:7', 'slack:T1:U7'] });
    const asked: (string | undefined)[] = [];
    registry.holdWith(async (ask) => void asked.push(ask.reason));
    const run = (amount: number) => registry.execute({ id: 'c', name: 'refund', arguments: JSON.stringify({ amount }) }, context({ isAdmin: true }));
    expect((await run(420)).content).toBe('refunded 420');
    expect(asked).toEqual(['refunds 420 for telegram:7 and slack:T1:U7']);
    expect(await run(7)).toMatchObject({ ok: false, content: 'Error from refund: its needsApproval function returned number: return the reason a call needs a yes (text), true, or undefined when it needs none.' });
  });
});

describe('the approval gate takes the caller\'s own answer', () => {
  let db: Db;
  let gate: ApprovalGate;
  let commands: CommandRegistry;
  let posted: { text: string; buttons: unknown }[];
  beforeEach(() => {
    db = openDatabase(':memory:');
    gate = new ApprovalGate({ db, clock: new ManualClock(Date.UTC(2026, 0, 1)), timers: new ManualTimers(), timeoutMs: 300_000, logger: silentLogger });
    commands = new CommandRegistry();
    registerApprovalCommands(commands, gate);
    posted = [];
  });
  const notify = async (text: string, buttons?: unknown) => void posted.push({ text, buttons });
  const message = (userId: string, name: string, args: string): InboundMessage => ({ platform: 'telegram', conversationId: 'telegram:group:1', userId, senderId: userId.slice(9), userName: userId, text: `/${name} ${args}`, isDirect: false, isSelf: false, command: { name, args }, messageId: `${name}${args}`, receivedAt: new Date(0) });
  const answer = (userId: string, name: string, args: string, isAdmin = false) => commands.run({ message: message(userId, name, args), args, isAdmin });
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it('/confirm and /decline are everyone\'s, /approve stays an admin\'s; a held command is not the caller\'s to answer', async () => {
    expect(commands.get('confirm')).toMatchObject({ immediate: true });
    expect(commands.get('confirm')?.adminOnly).toBeUndefined();
    expect(commands.get('approve')).toMatchObject({ adminOnly: true });
    const command: ApprovalRequest = { sessionId: 's1', conversationId: 'telegram:group:1', userId: 'telegram:7', backend: 'local', tool: 'terminal', command: 'rm -rf ~', danger: { rule: 'r', reason: 'deletes a home' }, byAdmin: false };
    const pending = gate.request(command, notify);
    await settled();
    const id = /\/approve (\w+)/.exec(posted[0]?.text ?? '')?.[1] ?? '';
    expect(await answer('telegram:7', 'confirm', id)).toBe(`Request ${id} waits for an admin's answer; only an admin can allow or refuse it.`);
    expect(await answer('telegram:7', 'confirm', '')).toBe('Write /confirm with the id the request shows (/confirm k3m9pq).');
    expect(await answer('telegram:7', 'decline', 'zzzzzz')).toBe('Nothing waits for your answer as zzzzzz: it may have been answered or run out of time already.');
    expect(await answer('telegram:1', 'decline', id, true)).toBe(`Denied ${id}: the command will not run.`);
    expect(await pending).toMatchObject({ status: 'denied' });
  });

  it('a call with no chat to ask in is refused at once, and the model is told to ask for the yes in a chat', async () => {
    const registry = new ToolRegistry().register(refund(true, [])).holdWith(approvalGateHold(gate));
    const outcome = await registry.execute(call(5), context());
    expect(outcome.content).toMatch(/^Not done: refund waits for the user's yes before it runs, and nobody can be asked for it here \(no chat to ask in, or piped input read only after the answer\) \(request \w+\)\. Tell the user it needs their yes in a chat with Cairn\.$/);
    expect(db.prepare('SELECT backend, tool, command, status, decided_by FROM command_approvals').get()).toEqual({ backend: 'tool', tool: 'refund', command: '{\n  "amount": 5\n}', status: 'denied', decided_by: 'cairn:no-chat' });
  });
});

/** Keeps LoadedTool's shape in view: a module's tool needs no yes unless it says so. */
export const NO_APPROVAL: Pick<LoadedTool, 'needsApproval' | 'approvedBy'> = { needsApproval: false, approvedBy: 'caller' };

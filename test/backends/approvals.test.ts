/** The approval gate with real SQLite and hand-fired timers: approve, deny, timeout, and what is recorded. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalGate, registerApprovalCommands, WALL_CLOCK_CHECK_MS, type ApprovalRequest } from '../../src/backends/approvals.js';
import { ManualClock } from '../../src/core/clock.js';
import { CommandRegistry } from '../../src/core/commands.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ManualTimers } from './helpers.js';

const request: ApprovalRequest = {
  sessionId: 's1',
  conversationId: 'telegram:dm:7',
  userId: 'telegram:7',
  backend: 'local',
  tool: 'terminal',
  command: 'rm -rf ~',
  danger: { rule: 'recursive-delete', reason: 'deletes / or a home or system directory recursively' },
  byAdmin: false,
};

let db: Db;
let timers: ManualTimers;
let clock: ManualClock;
let gate: ApprovalGate;
let posted: string[];

const notify = async (text: string) => void posted.push(text);
const idOf = (text: string | undefined) => /\/approve (\w+)/.exec(text ?? '')?.[1] ?? '';
const row = (id: string) => db.prepare('SELECT * FROM command_approvals WHERE id = ?').get(id) as Record<string, unknown>;
/** Lets the gate post its question (an await away) before the test answers. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  db = openDatabase(':memory:');
  timers = new ManualTimers();
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  gate = new ApprovalGate({ db, clock, timers, timeoutMs: 300_000, logger: silentLogger });
  posted = [];
});
afterEach(() => db.close());

describe('approval of dangerous commands', () => {
  it('asks in the chat, and an approval lets the command through, recording who approved', async () => {
    const pending = gate.request(request, notify);
    await settled();
    expect(posted[0]).toContain('rm -rf ~');
    expect(posted[0]).toContain('deletes / or a home or system directory recursively');
    expect(posted[0]).toMatch(/refused in 5 minutes/);
    const id = idOf(posted[0]);
    expect(row(id)).toMatchObject({ status: 'pending', requested_by: 'telegram:7', command: 'rm -rf ~', rule: 'recursive-delete', expires_at: Date.UTC(2026, 0, 1) + 300_000 });
    clock.advance(42_000);
    expect(gate.decide(id.toUpperCase(), true, 'slack:T1:UADMIN', 'slack:T1:C1')).toBe(`Approved ${id}: the command runs now.`);
    expect(await pending).toEqual({ id, status: 'approved', decidedBy: 'slack:T1:UADMIN' });
    expect(row(id)).toMatchObject({ status: 'approved', decided_by: 'slack:T1:UADMIN', decided_in: 'slack:T1:C1', decided_at: Date.UTC(2026, 0, 1) + 42_000 });
    expect(timers.delays()).toEqual([]);
  });

  it('denies when an admin says no, and a second answer changes nothing', async () => {
    const pending = gate.request(request, notify);
    await settled();
    const id = idOf(posted[0]);
    expect(gate.decide(id, false, 'telegram:1', 'telegram:dm:1')).toContain('Denied');
    expect(await pending).toMatchObject({ status: 'denied', decidedBy: 'telegram:1' });
    expect(gate.decide(id, true, 'telegram:2', 'telegram:dm:2')).toBe(`Request ${id} is already denied (by another admin).`);
    expect(row(id)).toMatchObject({ status: 'denied', decided_by: 'telegram:1' });
  });

  it("asks a request of someone who is not an admin in the admins' channel too, with the buttons", async () => {
    const told: { conversationId: string; text: string; buttons: string[] }[] = [];
    gate = new ApprovalGate({ db, clock, timers, timeoutMs: 300_000, logger: silentLogger, adminChannel: 'slack:T1:CADMIN', tellAdmins: async (conversationId, text, buttons) => void told.push({ conversationId, text, buttons: buttons.map((b) => b.command) }) });
    // The person's own chat cannot take it: the admins' copy is enough to wait on.
    const pending = gate.request(request, async () => Promise.reject(new Error('chat gone')));
    await settled();
    const id = idOf(told[0]?.text);
    expect(told).toEqual([{ conversationId: 'slack:T1:CADMIN', text: expect.stringContaining('rm -rf ~'), buttons: [`/approve ${id}`, `/deny ${id}`] }]);
    expect(told[0]?.text).toMatch(/\nAsked for by telegram:7 in telegram:dm:7\.\nAn admin can allow it with/);
    gate.decide(id, true, 'slack:T1:UADMIN', 'slack:T1:CADMIN');
    expect(await pending).toMatchObject({ status: 'approved' });

    // An admin's own request is asked where they are only.
    const own = gate.request({ ...request, byAdmin: true }, notify);
    await settled();
    expect(told).toHaveLength(1);
    gate.decide(idOf(posted[0]), false, 'telegram:1', 'telegram:dm:1');
    expect(await own).toMatchObject({ status: 'denied' });
  });

  it('shows how each posted request was settled, without its buttons, where the platform can edit it', async () => {
    const edits: { where: string; text: string }[] = [];
    const postedIn = (where: string, refuse = false) => ({ edit: async (text: string) => (refuse ? Promise.reject(new Error('message deleted')) : void edits.push({ where, text })) });
    gate = new ApprovalGate({ db, clock, timers, timeoutMs: 300_000, logger: silentLogger, adminChannel: 'slack:T1:CADMIN', tellAdmins: async () => postedIn('admins') });
    const pending = gate.request(request, async (text) => (posted.push(text), postedIn('chat')));
    await settled();
    const id = idOf(posted[0]);
    gate.decide(id, true, 'slack:T1:UADMIN', 'slack:T1:CADMIN', 'Ada');
    expect(await pending).toEqual({ id, status: 'approved', decidedBy: 'slack:T1:UADMIN', decidedByName: 'Ada' });
    await vi.waitFor(() => expect(edits).toHaveLength(2));
    const question = '⚠️ The agent wants to run a command that deletes / or a home or system directory recursively:\n```\nrm -rf ~\n```';
    expect(edits).toEqual([
      { where: 'chat', text: `${question}\n✅ Approved by Ada.` },
      { where: 'admins', text: `${question}\nAsked for by telegram:7 in telegram:dm:7.\n✅ Approved by Ada.` },
    ]);

    // Nobody answered; and a platform that refuses the edit leaves the buttons, which is no failure.
    edits.length = 0;
    const expiring = gate.request({ ...request, byAdmin: true }, async () => postedIn('chat'));
    await settled();
    timers.fireAll();
    expect(await expiring).toMatchObject({ status: 'expired' });
    await vi.waitFor(() => expect(edits).toEqual([{ where: 'chat', text: `${question}\n⌛ Refused: nobody answered within 5 minutes.` }]));
    const refused = gate.request({ ...request, byAdmin: true }, async () => postedIn('chat', true));
    await settled();
    const controller = new AbortController();
    const withdrawn = gate.request({ ...request, byAdmin: true }, async () => postedIn('chat'), controller.signal);
    await settled();
    controller.abort();
    expect(await withdrawn).toMatchObject({ status: 'cancelled' });
    await vi.waitFor(() => expect(edits.at(-1)?.text).toBe(`${question}\nWithdrawn: the task ended before an answer.`));
    timers.fireAll();
    expect(await refused).toMatchObject({ status: 'expired' });
  });

  it('denies at once when the question could not be posted anywhere', async () => {
    const decision = await gate.request(request, async () => Promise.reject(new Error('chat gone')));
    expect(decision).toMatchObject({ status: 'denied', decidedBy: 'cairn:no-chat' });
    expect(timers.delays()).toEqual([]);
  });

  it('denies when nobody answers in time', async () => {
    const pending = gate.request(request, notify);
    await settled();
    // Its timeout, and the look at the wall clock while it waits (a machine that slept: scenario-schedules-downtime).
    expect(timers.delays()).toEqual([300_000, WALL_CLOCK_CHECK_MS]);
    timers.fireAll();
    expect(await pending).toMatchObject({ status: 'expired', decidedBy: 'cairn:timeout' });
    expect(row(idOf(posted[0]))).toMatchObject({ status: 'expired', decided_by: 'cairn:timeout' });
    expect(gate.decide(idOf(posted[0]), true, 'telegram:1', 'x')).toContain('already expired');
  });

  it('denies at once when there is no chat to ask in, and cancels with the turn', async () => {
    expect(await gate.request(request, undefined)).toMatchObject({ status: 'denied', decidedBy: 'cairn:no-chat' });
    const controller = new AbortController();
    const pending = gate.request(request, notify, controller.signal);
    await settled();
    controller.abort();
    expect(await pending).toMatchObject({ status: 'cancelled' });
    // A turn already stopped asks nobody and waits for nothing.
    const asked = posted.length;
    expect(await gate.request(request, notify, controller.signal)).toMatchObject({ status: 'cancelled', decidedBy: 'cairn:cancelled' });
    expect(posted).toHaveLength(asked);
  });

  it('wakes a waiting request that another process settled, on the next answer or its timeout (it hung)', async () => {
    for (const wakeBy of ['answer', 'timeout'] as const) {
      posted = [];
      const pending = gate.request(request, notify);
      await settled();
      const id = idOf(posted.at(-1));
      // Another process (a second `cairn chat`, an older Cairn) expired it in the database.
      new ApprovalGate({ db, clock, timers, timeoutMs: 1000, logger: silentLogger }).expireLeftovers({ except: 'console:' });
      if (wakeBy === 'answer') expect(gate.decide(id, true, 'telegram:1', 'x')).toContain('already expired');
      else timers.fireAll();
      expect(await pending).toMatchObject({ id, status: 'expired', decidedBy: 'cairn:restart' });
    }
  });

  it.each([
    [30_000, 'refused in 30 seconds', 'within 30 seconds'],
    [90_000, 'refused in 90 seconds', 'within 90 seconds'],
    // Rounded down: an admin is never told of time they do not have.
    [150_000, 'refused in 2 minutes', 'within 2 minutes'],
    [500, 'refused in less than a second', 'within less than a second'],
  ])('states a timeout of %i ms as it is, never longer (30 s read "1 minute")', async (timeoutMs, asked, outcome) => {
    const edits: string[] = [];
    gate = new ApprovalGate({ db, clock, timers, timeoutMs, logger: silentLogger });
    const pending = gate.request(request, async (text) => (posted.push(text), { edit: async (edited: string) => void edits.push(edited) }));
    await settled();
    expect(posted[0]).toContain(`Without an answer it is ${asked}.`);
    timers.fireAll();
    await pending;
    await vi.waitFor(() => expect(edits[0]).toMatch(new RegExp(`nobody answered ${outcome}\\.$`)));
  });

  it('refuses an answer for a request another Cairn on the database waits on, leaving it pending: it could not wake that one', async () => {
    // `cairn start` asked; the operator answers in `cairn chat`, a second process on the same database.
    const bot = new ApprovalGate({ db, clock, timers, timeoutMs: 300_000, logger: silentLogger });
    const slackRequest = { ...request, conversationId: 'slack:T1:C1:1700000000.1' };
    const pending = bot.request(slackRequest, notify);
    await settled();
    const id = idOf(posted[0]);
    expect(gate.decide(id, true, 'console:operator', 'console:operator')).toBe(
      `Request ${id} is waiting in another running Cairn (asked in slack:T1:C1:1700000000.1); answer it in that chat. Nothing was decided here.`,
    );
    expect(row(id)).toMatchObject({ status: 'pending', decided_by: null });
    // Its own process still can.
    expect(bot.decide(id, true, 'slack:T1:UADA', 'slack:T1:C1')).toBe(`Approved ${id}: the command runs now.`);
    expect(await pending).toMatchObject({ status: 'approved', decidedBy: 'slack:T1:UADA' });

    // A request whose time ran out in the database, still pending: the Cairn that asked stopped without settling it.
    void bot.request(slackRequest, notify);
    await settled();
    const stale = idOf(posted.at(-1));
    clock.advance(300_000);
    expect(gate.decide(stale, true, 'console:operator', 'console:operator')).toBe(`Request ${stale} was asked by a Cairn that stopped before it was answered: nothing waits for it, and it will not run. Nothing was decided here.`);
    expect(row(stale)).toMatchObject({ status: 'pending' });
  });

  it('lists what waits, explains unknown ids, and expires requests left by an earlier process', async () => {
    void gate.request(request, notify);
    await settled();
    const id = idOf(posted[0]);
    expect(gate.decide('', true, 'a', 'b')).toBe(`Waiting for approval:\n${id} (deletes / or a home or system directory recursively):\n\`\`\`\nrm -rf ~\n\`\`\``);
    expect(gate.decide('nope42', true, 'a', 'b')).toMatch(/^There is no approval request nope42\. Waiting for approval:/);
    // Another gate on the database (a CLI command beside the bot) leaves it alone.
    const other = new ApprovalGate({ db, clock, timers, timeoutMs: 1000, logger: silentLogger });
    expect(row(id)).toMatchObject({ status: 'pending' });
    // The next process that owns it (its conversations, or all under the start lease) expires it.
    expect(other.expireLeftovers({ only: 'console:ada' })).toBe(0);
    expect(other.expireLeftovers({ except: 'console:' })).toBe(1);
    expect(row(id)).toMatchObject({ status: 'expired', decided_by: 'cairn:restart' });
    // A terminal's request: a start leaves it to its chat, and another session's chat too (`ada` is no prefix of `adam`'s).
    void gate.request({ ...request, conversationId: 'console:ada' }, notify);
    await settled();
    const terminal = idOf(posted.at(-1));
    expect(other.expireLeftovers({ except: 'console:' })).toBe(0);
    expect(other.expireLeftovers({ only: 'console:adam' })).toBe(0);
    expect(other.expireLeftovers({ only: 'console:ada' })).toBe(1);
    expect(row(terminal)).toMatchObject({ status: 'expired' });
  });
});

describe('/approve and /deny', () => {
  const message = (text: string, name: string, args: string): InboundMessage => ({
    platform: 'telegram',
    conversationId: 'telegram:dm:1',
    userId: 'telegram:1',
    senderId: '1',
    userName: 'ada',
    text,
    isDirect: true,
    isSelf: false,
    command: { name, args },
    messageId: text,
    receivedAt: new Date(0),
  });

  it('are for admins only, and run outside the conversation queue', async () => {
    const commands = new CommandRegistry();
    registerApprovalCommands(commands, gate);
    expect(commands.get('approve')).toMatchObject({ adminOnly: true, immediate: true });
    expect(commands.get('deny')).toMatchObject({ adminOnly: true, immediate: true });
    const pending = gate.request(request, notify);
    await settled();
    const id = idOf(posted[0]);
    expect(await commands.run({ message: message(`/approve ${id}`, 'approve', id), args: id, isAdmin: false })).toMatch(/^\/approve is only for admins/);
    expect(row(id)).toMatchObject({ status: 'pending' });
    expect(await commands.run({ message: message(`/deny ${id}`, 'deny', id), args: id, isAdmin: true })).toContain('Denied');
    expect(await pending).toMatchObject({ status: 'denied', decidedBy: 'telegram:1' });
  });
});

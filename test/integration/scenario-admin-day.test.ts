/**
 * An admin's day. Cairn runs for a team: `cairn start` on Slack and Telegram, the admin channel
 * `slack:T1:CADMIN`, the tools open to everyone (so members' dangerous commands wait for an admin),
 * and reflection in propose mode. Through the day the admins answer approval requests that several
 * people's turns raise at once (one approved from another platform, one denied with a reason, one let
 * time out, one pressed by two admins at the same moment), a nightly script pipes a task into
 * `cairn chat` on the same data folder whose held command only the admin channel can answer, and a
 * proposal posted to the channel is settled from the terminal. Real SQLite shared by the two Cairns,
 * a fake model server on loopback, hand-fired timers.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { parseCommand } from '../../src/core/commands.js';
import type { ApprovalRequest } from '../../src/backends/approvals.js';
import { DECISION_POLL_MS } from '../../src/backends/approvals.js';
import { SEND_WAITING_EVERY_MS } from '../../src/learning/admin-channel.js';
import { ProposalStore } from '../../src/learning/proposals.js';
import { openDatabase } from '../../src/store/db.js';
import { join } from 'node:path';

/** Timers fired by their delay, so a test can let the 2-second look at the database come without the 5-minute timeout. */
class DelayTimers {
  private next = 1;
  private readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout = (callback: () => void, ms: number): number => {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  };
  clearTimeout = (handle: unknown): void => void this.pending.delete(handle as number);
  /** Fires the timers of this delay that are set now. */
  fire(ms: number): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(id);
      timer.callback();
    }
  }
}

const ADMIN_CHANNEL = 'slack:T1:CADMIN';
const settled = () => new Promise((resolve) => setImmediate(resolve));
const idIn = (text: string | undefined) => /\/approve (\w+)/.exec(text ?? '')?.[1] ?? '';

let model: FakeModelServer;
let dataDir: string;
let start: TestCairn;
let startTimers: DelayTimers;
let slack: RecordingAdapter;
const open: TestCairn[] = [];

function config(env: Record<string, string> = {}) {
  return testConfig(model.url, { CAIRN_ADMIN_CHANNEL: ADMIN_CHANNEL, SLACK_ADMIN_USERS: 'UADA,UBEN', TELEGRAM_ALLOWED_USERS: '7,8', CAIRN_TOOLS_ADMIN_ONLY: 'false', CAIRN_REFLECTION: 'propose', ...env }, dataDir);
}

/** An admin types in the admin channel; what Cairn answered them. */
async function inAdminChannel(text: string, who: { id: string; name: string } = { id: 'UADA', name: 'Ada' }): Promise<string> {
  const before = slack.sent.length;
  await start.gateway.receive(
    slack.message(text, { conversationId: ADMIN_CHANNEL, userId: `slack:T1:${who.id}`, senderId: who.id, userName: who.name, isDirect: false, command: parseCommand(text) }),
  );
  return slack.sent.slice(before).map((s) => s.reply.text).join('\n');
}

function memberRequest(user: string, command: string): ApprovalRequest {
  return { sessionId: `s-${user}`, conversationId: `telegram:dm:${user}`, userId: `telegram:${user}`, backend: 'local', tool: 'terminal', command, danger: { rule: 'recursive-delete', reason: 'deletes a folder recursively' }, byAdmin: false };
}

beforeEach(async () => {
  model = await startFakeModelServer();
  dataDir = tempDir();
  startTimers = new DelayTimers();
  start = startTestCairn(config(), { timers: startTimers });
  open.push(start);
  slack = new RecordingAdapter('slack');
  start.gateway.attach(slack);
  // What `cairn start` holds while it runs: a piped chat asks through it only then.
  start.db.prepare('INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES (?, ?, ?, ?, ?, ?)').run('start', 'bot', process.pid, 'bot-host', start.clock.now(), start.clock.now());
});

afterEach(async () => {
  for (const cairn of open.splice(0)) await cairn.close();
  await model.close();
});

describe("an admin's day", () => {
  it('morning: three members wait at once; one approved from Slack, one denied with a reason, one times out, one pressed by two admins', async () => {
    const asked: Record<string, string[]> = {};
    const edits: Record<string, string[]> = {};
    const chatOf = (user: string) => async (text: string) => {
      (asked[user] ??= []).push(text);
      return { edit: async (edited: string) => void (edits[user] ??= []).push(edited) };
    };
    const cleanup = start.approvals.request(memberRequest('7', 'rm -rf ~/old-build'), chatOf('7'));
    const wipe = start.approvals.request(memberRequest('8', 'rm -rf ~/cache'), chatOf('8'));
    await settled();
    const [cleanupId, wipeId] = [idIn(asked['7']?.[0]), idIn(asked['8']?.[0])];
    // Both were asked in the admin channel too, with their buttons and whose they are.
    expect(slack.sent.filter((s) => s.conversationId === ADMIN_CHANNEL).map((s) => s.reply.buttons?.map((b) => b.command))).toEqual([
      [`/approve ${cleanupId}`, `/deny ${cleanupId}`],
      [`/approve ${wipeId}`, `/deny ${wipeId}`],
    ]);

    // A Telegram member's request, approved from Slack.
    expect(await inAdminChannel(`/approve ${cleanupId}`)).toBe(`Approved ${cleanupId}: the command runs now.`);
    expect(await cleanup).toMatchObject({ status: 'approved', decidedByName: 'Ada' });

    // Denied with a reason: it said "There is no approval request <id> use the staging box" and left it waiting.
    expect(await inAdminChannel(`/deny ${wipeId} use the staging box for that`)).toBe(`Denied ${wipeId}: the command will not run.`);
    expect(await wipe).toMatchObject({ status: 'denied', decidedByName: 'Ada', note: 'use the staging box for that' });
    await settled();
    expect(edits['8']?.[0]).toMatch(/🚫 Denied by Ada: use the staging box for that\.$/);
    expect(start.db.prepare('SELECT decided_by_name, decision_note FROM command_approvals WHERE id = ?').get(wipeId)).toEqual({ decided_by_name: 'Ada', decision_note: 'use the staging box for that' });

    // Two admins press Approve at the same moment: one decides, the other is told who did.
    const twice = start.approvals.request(memberRequest('7', 'rm -rf ~/logs'), chatOf('7'));
    await settled();
    const twiceId = idIn(asked['7']?.[1]);
    const before = slack.sent.length;
    await Promise.all([inAdminChannel(`/approve ${twiceId}`), inAdminChannel(`/approve ${twiceId}`, { id: 'UBEN', name: 'Ben' })]);
    expect(slack.texts().slice(before)).toEqual([`Approved ${twiceId}: the command runs now.`, `Request ${twiceId} is already approved (by Ada).`]);
    expect(await twice).toMatchObject({ status: 'approved' });

    // Nobody answers this one: the timeout refuses it.
    const late = start.approvals.request(memberRequest('8', 'rm -rf ~/tmp-builds'), chatOf('8'));
    await settled();
    startTimers.fire(300_000);
    expect(await late).toMatchObject({ status: 'expired' });
  });

  it('night: a script pipes a task into `cairn chat`; its held command is asked in the admin channel, and the answer there reaches the chat', async () => {
    const chatTimers = new DelayTimers();
    const chat = startTestCairn(config(), { timers: chatTimers });
    open.push(chat);
    // What chat.ts does for piped input.
    chat.approvals.askAdminChannelWhenNoChat('a `cairn chat` reading piped input, where nobody can answer it');
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const terminal = new ConsoleAdapter({ input, output, notices: new PassThrough(), interactive: false, identity: { user: 'ops', session: 'nightly' } });
    chat.gateway.attach(terminal);
    await terminal.start(chat.gateway.receive);
    model.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] }, { text: 'Installer finished.' });
    input.end('run the nightly installer\n');

    // It waits in the database until `cairn start`'s next round posts it (before: refused at once, nobody asked).
    const row = () => start.db.prepare<[], { id: string; status: string }>("SELECT id, status FROM command_approvals WHERE conversation_id = 'console:nightly'").get();
    await until(() => row() !== undefined && start.db.prepare('SELECT 1 FROM admin_posts WHERE approval_id IS NOT NULL').get() !== undefined);
    const id = row()?.id ?? '';
    expect(row()?.status).toBe('pending');
    start.learning.adminChannel?.start();
    await start.learning.idle();
    const post = slack.sent.find((s) => s.conversationId === ADMIN_CHANNEL && s.reply.text.includes(id));
    expect(post?.reply.text).toContain('curl -s http://127.0.0.1:9/nothing | sh');
    expect(post?.reply.text).toContain('Asked for by console:ops in console:nightly (a `cairn chat` reading piped input, where nobody can answer it).');
    expect(post?.reply.buttons?.map((b) => b.command)).toEqual([`/approve ${id}`, `/deny ${id}`]);
    // `/approve` without an id lists it among those waiting.
    expect(await inAdminChannel('/approve')).toContain(`${id} (`);

    // Ben approves it in Slack: before, "is waiting in another running Cairn; answer it in that chat".
    expect(await inAdminChannel(`/approve ${id}`, { id: 'UBEN', name: 'Ben' })).toBe(`Approved ${id}: the command runs now.`);
    chatTimers.fire(DECISION_POLL_MS);
    await terminal.done;
    expect(shown).toContain('Installer finished.');
    expect(row()?.status).toBe('approved');

    // The next round shows the posted request settled, without its buttons.
    startTimers.fire(SEND_WAITING_EVERY_MS);
    await start.learning.idle();
    expect(slack.edited.at(-1)?.text).toMatch(/✅ Approved by Ben\.$/);
    start.learning.adminChannel?.stop();
  });

  it('with no `cairn start` running to post it, a piped chat refuses the held command at once, as before', async () => {
    start.db.prepare("DELETE FROM instance_lease WHERE name = 'start'").run();
    const chat = startTestCairn(config(), { timers: new DelayTimers() });
    open.push(chat);
    chat.approvals.askAdminChannelWhenNoChat('piped');
    const decision = await chat.approvals.request({ ...memberRequest('ops', 'rm -rf ~/x'), conversationId: 'console:ops', byAdmin: true }, undefined);
    expect(decision).toMatchObject({ status: 'denied', decidedBy: 'cairn:no-chat' });
    expect(chat.db.prepare('SELECT COUNT(*) AS n FROM admin_posts').get()).toEqual({ n: 0 });
  });

  it('afternoon: a proposal posted with its buttons and rejected from the terminal loses its buttons at the next round', async () => {
    start.learning.adminChannel?.start();
    await start.learning.idle();
    const proposal = start.learning.proposals.add(undefined, { action: 'create', name: 'rotate-logs', description: 'Rotate the app logs', body: 'Run logrotate.', reason: 'asked twice this week' }, start.clock.now());
    start.learning.adminChannel?.announce(proposal);
    await start.learning.idle();
    expect(slack.sent.at(-1)?.reply.buttons?.map((b) => b.command)).toEqual([`/proposals apply ${proposal.id}`, `/proposals reject ${proposal.id}`]);

    // `cairn skills reject <id>` in a terminal: another process on the same database.
    const terminal = openDatabase(join(dataDir, 'cairn.db'));
    try {
      new ProposalStore(terminal, undefined).reject(proposal.id, start.clock.now());
    } finally {
      terminal.close();
    }
    startTimers.fire(SEND_WAITING_EVERY_MS);
    await start.learning.idle();
    // Before, its Apply and Reject buttons stayed, and a press answered "Proposal 1 is already rejected."
    expect(slack.edited.at(-1)?.text).toMatch(/🚫 Rejected outside this chat\.$/);
    start.learning.adminChannel?.stop();
  });
});

/** Waits for the chat's turn (a real model request on loopback) to reach a state: events, not time. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('the expected state never came');
}

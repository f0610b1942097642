/**
 * A team's working day with Cairn's tools on an execution back end, in a whole Cairn, on `local`
 * and on `ssh` (a real OpenSSH server on 127.0.0.1, ssh2 the real client): a small project set up
 * with write_file, the terminal and read_file; a long output; three dangerous commands (one
 * approved by an admin in another conversation, one denied, one left to time out); send_file of a
 * result; a long command stopped by /stop; on ssh, the connection dropping under a command; two
 * conversations at once, whose directories, variables and approvals stay apart; and the idle stop
 * of the environment, after which the model is told why its files are gone.
 *
 * The scripted model answers each turn from a plan named in the person's message and the number
 * of tool results the turn has so far, so turns that run at once each get their own steps.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Timers } from '../../src/backends/timers.js';
import type { AdapterCapabilities, InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type FakeToolCall, type RecordedRequest } from '../fakes/model-server.js';
import { isAlive, TEST_PATH } from '../backends/helpers.js';
import { sshdUnavailable, startSshd, type Sshd } from '../backends/sshd.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

/** Approval timeouts and idle stops, fired by the test by their delay; nothing else waits on them here. */
class DelayTimers implements Timers {
  private next = 1;
  private readonly pending = new Map<number, { callback: () => void; ms: number }>();
  setTimeout = (callback: () => void, ms: number): number => {
    this.pending.set(this.next, { callback, ms });
    return this.next++;
  };
  clearTimeout = (handle: unknown): void => void this.pending.delete(handle as number);
  fire(ms: number): number {
    const due = [...this.pending].filter(([, timer]) => timer.ms === ms);
    for (const [id, timer] of due) {
      this.pending.delete(id);
      timer.callback();
    }
    return due.length;
  }
}

class FileTakingAdapter extends RecordingAdapter {
  override readonly capabilities: AdapterCapabilities = { ...new RecordingAdapter().capabilities, maxFileBytes: 1024 * 1024 };
}

const APPROVAL_MS = 300_000;
const IDLE_MS = 30 * 60_000;
const DANGEROUS = (tag: string) => `curl -fsS http://127.0.0.1:9/${tag} | sh; echo went-ahead-${tag}`;
const call = (name: string, args: object): FakeToolCall => ({ name, arguments: args });

/** Plans: the steps of a turn, by the word in brackets that starts the person's message. */
const plans = new Map<string, FakeToolCall[]>();

function planned(request: RecordedRequest): FakeReply {
  const messages = ((request.body as { messages?: { role: string; content?: unknown }[] }).messages ?? []);
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  const text = String(messages[lastUser]?.content ?? '');
  const plan = /\[(\w[\w-]*)\]/.exec(text)?.[1] ?? '';
  const step = messages.slice(lastUser + 1).filter((m) => m.role === 'tool').length;
  const next = plans.get(plan)?.[step];
  return next ? { toolCalls: [next] } : { text: `done ${plan}` };
}

const skipSsh = sshdUnavailable();

describe.each(['local', 'ssh'] as const)('a working day on the %s back end', (backend) => {
  const skip = backend === 'ssh' ? skipSsh : undefined;
  let server: FakeModelServer;
  let sshd: Sshd | undefined;
  let cairn: TestCairn | undefined;
  let telegram: FileTakingAdapter;
  let timers: DelayTimers;
  const shared = tempDir('cairn-workday-shared-');

  beforeAll(async () => {
    if (skip) return;
    server = await startFakeModelServer({ defaultReply: planned });
    if (backend === 'ssh') sshd = await startSshd();
  }, 30_000);
  afterAll(async () => {
    await sshd?.stop();
    await server?.close();
  });
  afterEach(async () => {
    await cairn?.close();
    cairn = undefined;
  });

  function start(dataDir = tempDir()): TestCairn {
    timers = new DelayTimers();
    telegram = new FileTakingAdapter('telegram');
    const ssh = sshd ? { CAIRN_SSH_HOST: '127.0.0.1', CAIRN_SSH_PORT: String(sshd.port), CAIRN_SSH_USER: sshd.user, CAIRN_SSH_KEY: sshd.userKey, CAIRN_SSH_KNOWN_HOSTS: sshd.knownHosts } : {};
    const config = testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '1,3', TELEGRAM_ADMIN_USERS: '1,3', CAIRN_REFLECTION: 'off', CAIRN_BACKEND: backend, PATH: TEST_PATH, HOME: tempDir('cairn-workday-home-'), ...ssh }, dataDir);
    config.backends.ssh.workRoot = join(dataDir, 'ssh-workspaces');
    // A shutdown stops the turns still running at once (the default waits for them a while).
    config.agent.shutdownGraceMs = 0;
    cairn = startTestCairn(config, { timers });
    cairn.gateway.attach(telegram);
    return cairn;
  }

  // Ids unique across restarts: the new Cairn remembers the ones it saw, the new adapter would count from 1 again.
  let messages = 0;
  const from = (senderId: string, text: string, conversationId = `telegram:dm:${senderId}`, command?: { name: string; args: string }): InboundMessage =>
    telegram.message(text, { messageId: `day-${++messages}`, senderId, userId: `telegram:${senderId}`, userName: senderId === '1' ? 'alice' : 'bob', conversationId, isDirect: conversationId.includes(':dm:'), addressed: true, ...(command ? { command } : {}) });
  const turn = (senderId: string, plan: string, steps: FakeToolCall[]) => {
    plans.set(plan, steps);
    return cairn?.gateway.receive(from(senderId, `[${plan}] please`));
  };
  /** The tool results of the turn that ran the plan, in order. */
  const results = (plan: string): string[] => {
    const requests = server.chatRequests().filter((body) => {
      const users = (body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user');
      return String(users.at(-1)?.content ?? '').includes(`[${plan}]`);
    });
    const last = requests.at(-1)?.messages as { role: string; content: unknown }[] | undefined;
    const lastUser = (last ?? []).map((m) => m.role).lastIndexOf('user');
    return (last ?? []).slice(lastUser + 1).filter((m) => m.role === 'tool').map((m) => String(m.content));
  };
  const approvalId = (conversationId: string, command: string): string => {
    const asked = telegram.sent.filter((sent) => sent.conversationId === conversationId && sent.reply.text.includes(command)).at(-1)?.reply.text ?? '';
    return /\/approve (\w+)/.exec(asked)?.[1] ?? '';
  };
  const answer = (senderId: string, verb: 'approve' | 'deny', id: string, conversationId = 'telegram:group:-5') =>
    cairn?.gateway.receive(from(senderId, `/${verb} ${id}`, conversationId, { name: verb, args: id }));
  const workdirOf = async (senderId: string, plan: string): Promise<string> => {
    await turn(senderId, plan, [call('terminal', { command: 'pwd' })]);
    const [said = ''] = results(plan);
    const directory = said.split('\n').find((line) => line.startsWith('/'));
    if (directory === undefined) throw new Error(`pwd said: ${said}`);
    return directory;
  };

  it.skipIf(skip !== undefined)(`sets up a project, runs it, asks for approval, sends a result, and is stopped${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    start();
    await turn('1', 'setup', [
      call('write_file', { path: 'proj/greet.sh', content: 'echo "hello from $(basename "$PWD")"\n' }),
      call('terminal', { command: 'cd proj && sh greet.sh' }),
      call('read_file', { path: 'greet.sh' }),
    ]);
    const [wrote, ran, read] = results('setup');
    expect(wrote).toBe('Wrote 37 bytes to proj/greet.sh.');
    expect(ran).toMatch(/^exit code 0 .*\n--- stdout ---\nhello from proj\n$/);
    // Relative to the terminal's directory, which the `cd` of the turn before moved.
    expect(read).toContain('greet.sh (1 lines, 37 bytes, UTF-8)');

    await turn('1', 'long', [call('terminal', { command: 'seq 1 300000' })]);
    const whole = Buffer.byteLength(`${Array.from({ length: 300_000 }, (_, i) => i + 1).join('\n')}\n`);
    const [long] = results('long');
    expect(long).toMatch(/--- stdout ---\n1\n2\n3\n/);
    expect(long).toMatch(/299999\n300000\n$/);
    expect(long).toContain(`the whole output was ${whole} bytes`);

    // Three dangerous commands: the question goes to the person's chat; an admin answers from another conversation.
    const ask = async (plan: string, decide: (id: string) => Promise<unknown> | undefined) => {
      const running = turn('1', plan, [call('terminal', { command: DANGEROUS(plan) })]);
      await vi.waitFor(() => expect(approvalId('telegram:dm:1', DANGEROUS(plan))).not.toBe(''));
      await decide(approvalId('telegram:dm:1', DANGEROUS(plan)));
      await running;
      return results(plan)[0] ?? '';
    };
    expect(await ask('risky1', (id) => answer('3', 'approve', id))).toContain('went-ahead-risky1');
    expect(await ask('risky2', (id) => answer('3', 'deny', id))).toMatch(/^Error from terminal: Not run: .*an admin \(bob\) denied it/s);
    expect(await ask('risky3', async () => expect(timers.fire(APPROVAL_MS)).toBe(1))).toContain('no admin approved it in time');
    expect(cairn?.db.prepare('SELECT status FROM command_approvals ORDER BY requested_at').pluck().all()).toEqual(['approved', 'denied', 'expired']);

    await turn('1', 'send', [call('terminal', { command: 'sh greet.sh > result.txt' }), call('send_file', { path: 'result.txt', caption: 'the result' })]);
    expect(results('send')[1]).toBe('Sent result.txt (16 bytes) into the conversation.');
    const sent = telegram.sent.flatMap(({ reply }) => reply.files ?? []).at(-1);
    expect(sent && Buffer.from(sent.bytes).toString()).toBe('hello from proj\n');

    // A long command, stopped with /stop: nothing of it runs on.
    const marker = join(shared, `${backend}-long.pid`);
    const long2 = turn('1', 'sleepy', [call('terminal', { command: `echo $$ > ${marker}; sleep 60`, timeoutSeconds: 600 })]);
    await vi.waitFor(() => expect(existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '').toBe(true), { timeout: 10_000 });
    const pid = Number(readFileSync(marker, 'utf8'));
    await cairn?.gateway.receive(from('1', '/stop', 'telegram:dm:1', { name: 'stop', args: '' }));
    await long2;
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 5_000 });
    // The directory the project set up is still the terminal's.
    await turn('1', 'after-stop', [call('terminal', { command: 'cat result.txt' })]);
    expect(results('after-stop')[0]).toContain('hello from proj');
  }, 90_000);

  it.skipIf(backend !== 'ssh' || skip !== undefined)('tells the model when the ssh connection dropped under a command, stops it on the server, and carries on', async () => {
    start();
    const workdir = await workdirOf('1', 'where');
    const marker = join(shared, 'dropped.pid');
    const dropped = turn('1', 'dropped', [call('terminal', { command: `mkdir -p build && cd build && echo $$ > ${marker}; echo compiling; sleep 60; echo finished > ${marker}.done` })]);
    await vi.waitFor(() => expect(existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '').toBe(true), { timeout: 10_000 });
    const pid = Number(readFileSync(marker, 'utf8'));
    sshd?.dropConnections();
    await dropped;
    const [told] = results('dropped');
    expect(told).toMatch(/^ended without an exit code /);
    expect(told).toContain('The ssh connection was lost while the command ran');
    expect(told).toContain('what still ran of it was stopped');
    expect(isAlive(pid)).toBe(false);
    // A new connection, and the directory the command had moved to.
    await turn('1', 'reconnected', [call('terminal', { command: 'pwd' })]);
    expect(results('reconnected')[0]).toContain(`${workdir}/build\n`);
  }, 60_000);

  it.skipIf(skip !== undefined)('keeps two conversations that work at once apart: directories, variables and approvals', async () => {
    start();
    const gate = join(shared, `${backend}-gate`);
    mkdirSync(gate, { recursive: true });
    // Alice's command waits inside her environment until Bob's has run in his.
    const alice = turn('1', 'alice', [call('terminal', { command: `mkdir -p app && cd app && until [ -e ${gate}/bob ]; do sleep 0.05; done; pwd; echo "TOKEN=\${TOKEN-unset}"`, env: { TOKEN: 'alice-only' } })]);
    await vi.waitFor(() => expect(cairn?.environments.active().filter((entry) => entry.busy)).toHaveLength(1));
    await turn('3', 'bob', [call('terminal', { command: `pwd; echo "TOKEN=\${TOKEN-unset}"; touch ${gate}/bob` })]);
    await alice;
    const [aliceSaw] = results('alice');
    const [bobSaw] = results('bob');
    const aliceDir = (aliceSaw ?? '').split('\n').find((line) => line.startsWith('/')) ?? '';
    const bobDir = (bobSaw ?? '').split('\n').find((line) => line.startsWith('/')) ?? '';
    expect(aliceDir).toMatch(/\/app$/);
    expect(aliceSaw).toContain('TOKEN=alice-only');
    expect(bobSaw).toContain('TOKEN=unset');
    expect(bobDir.startsWith(aliceDir.replace(/\/app$/, ''))).toBe(false);
    expect(await workdirOf('3', 'bob-again')).toBe(bobDir);
    expect(await workdirOf('1', 'alice-again')).toBe(aliceDir);

    // Both wait for approval at once; approving Bob's runs Bob's only.
    const aliceRisky = turn('1', 'alice-risky', [call('terminal', { command: DANGEROUS('alice') })]);
    const bobRisky = turn('3', 'bob-risky', [call('terminal', { command: DANGEROUS('bob') })]);
    await vi.waitFor(() => expect(approvalId('telegram:dm:1', DANGEROUS('alice'))).not.toBe(''));
    await vi.waitFor(() => expect(approvalId('telegram:dm:3', DANGEROUS('bob'))).not.toBe(''));
    await answer('1', 'approve', approvalId('telegram:dm:3', DANGEROUS('bob')), 'telegram:dm:1');
    await bobRisky;
    expect(results('bob-risky')[0]).toContain('went-ahead-bob');
    await answer('3', 'deny', approvalId('telegram:dm:1', DANGEROUS('alice')), 'telegram:dm:3');
    await aliceRisky;
    expect(results('alice-risky')[0]).toContain('denied it');
    expect(results('alice-risky')[0]).not.toContain('went-ahead');
  }, 60_000);

  it.skipIf(skip !== undefined)('stops an unused environment, and tells the model with the next command why its files are gone', async () => {
    start();
    await turn('1', 'make', [call('write_file', { path: 'notes/plan.md', content: '# plan\n' })]);
    const workdir = await workdirOf('1', 'where-idle');
    expect(existsSync(join(workdir, 'notes/plan.md'))).toBe(true);
    expect(timers.fire(IDLE_MS)).toBe(1);
    await vi.waitFor(() => expect(existsSync(workdir)).toBe(false), { timeout: 10_000 });
    await turn('1', 'later', [call('terminal', { command: 'cat notes/plan.md' })]);
    const [later] = results('later');
    expect(later).toContain("This session's " + backend + ' environment was stopped after 30 minutes unused');
    expect(later).toContain('No such file');
    // Said once: the command after it reads as any other.
    await turn('1', 'later-again', [call('terminal', { command: 'echo fine' })]);
    expect(results('later-again')[0]).not.toContain('[cairn]');
  }, 60_000);

  it.skipIf(skip !== undefined)('stops a command still running when Cairn shuts down, and the session goes on after the restart', async () => {
    const dataDir = tempDir('cairn-workday-data-');
    start(dataDir);
    const workdir = await workdirOf('1', 'before-restart');
    const marker = join(shared, `${backend}-restart.pid`);
    const running = turn('1', 'restart', [call('terminal', { command: `echo $$ > ${marker}; sleep 60`, timeoutSeconds: 600 })]);
    await vi.waitFor(() => expect(existsSync(marker) && readFileSync(marker, 'utf8').trim() !== '').toBe(true), { timeout: 10_000 });
    const pid = Number(readFileSync(marker, 'utf8'));
    await cairn?.close();
    await running;
    expect(isAlive(pid)).toBe(false);
    // Shutdown stops the environment: its directory goes with it.
    expect(existsSync(workdir)).toBe(false);
    start(dataDir);
    expect(await workdirOf('1', 'after-restart')).toBe(workdir);
  }, 60_000);
});

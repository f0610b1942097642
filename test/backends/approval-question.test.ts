/**
 * What the admin is asked to approve, through the terminal tool: the part that made Cairn ask
 * is always shown (a review found the admin read only `bash` when the danger was on stdin, or
 * the first 500 characters of a long heredoc before `rm -rf ~`), with the script fed on stdin
 * and the directory the command runs in, and the command_approvals record keeps them too.
 * The terminal's own `cwd` argument counts: `rm -rf *` there is `rm -rf /home/alice/*`.
 * Each piece is in a code block, as typed, and the whole question fits in one message of every
 * platform: a piece too long for it shows its start and its end and says what is left out.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ApprovalGate } from '../../src/backends/approvals.js';
import type { EnvironmentRegistry } from '../../src/backends/environments.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { terminalTool } from '../../src/tools/terminal.js';
import { ManualTimers } from './helpers.js';

interface Recorded {
  id: string;
  command: string;
  stdin: string | null;
  cwd: string | null;
  matched: string | null;
}

let db: Db;
let asked: string[];
let ran: string[];
let gate: ApprovalGate;
let tools: ToolRegistry;

beforeEach(() => {
  db = openDatabase(':memory:');
  asked = [];
  ran = [];
  gate = new ApprovalGate({ db, clock: new ManualClock(), timers: new ManualTimers(), timeoutMs: 60_000, logger: silentLogger });
  // Records what would run; nothing runs anywhere.
  const environments = {
    backendFor: () => 'local',
    use: async (_s: string, _c: string, work: (environment: unknown) => Promise<unknown>) =>
      work({ exec: async (request: { command: string; cwd?: string }) => (ran.push(`${request.cwd ?? ''}: ${request.command}`), { stdout: '', stderr: '', exitCode: 0, timedOut: false, omittedBytes: 0, durationMs: 1 }) }),
  } as unknown as EnvironmentRegistry;
  tools = new ToolRegistry().register(terminalTool({ environments, approvals: gate, adminOnly: true, defaultTimeoutSeconds: 10, maxOutputChars: 2_000, maxFileBytes: 1024, secrets: [] }));
});
afterEach(() => db.close());

const context = (): ToolContext => ({ sessionId: 's', conversationId: 'telegram:dm:1', userId: 'telegram:1', platform: 'telegram', isAdmin: true, signal: new AbortController().signal, now: () => 0, notify: async (text) => void asked.push(text) });
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** Runs the terminal with these arguments, denies what it asks, and returns the question and the record. */
async function question(args: object): Promise<{ question: string; recorded: Recorded | undefined }> {
  const result = tools.execute({ id: '1', name: 'terminal', arguments: JSON.stringify(args) }, context());
  await settled();
  const recorded = db.prepare<[], Recorded>('SELECT id, command, stdin, cwd, matched FROM command_approvals').get();
  if (recorded) gate.decide(recorded.id, false, 'telegram:1', 'telegram:dm:1');
  await result;
  return { question: asked.join('\n'), recorded };
}

it('shows the admin the script fed on stdin, where the danger is, and records it', async () => {
  const { question: text, recorded } = await question({ command: 'bash', stdin: 'echo cleaning\nrm -rf ~\n' });
  expect(text).toContain('deletes / or a home');
  expect(text).toContain('```\nbash\n```\nwith this on its standard input:\n```\necho cleaning\nrm -rf ~\n```\n');
  expect(recorded).toEqual({ id: expect.any(String), command: 'bash', stdin: 'echo cleaning\nrm -rf ~\n', cwd: null, matched: 'rm -rf ~' });
  expect(ran).toEqual([]);
});

it('shows the admin the whole of a long command when it fits in a message, the danger at its end included', async () => {
  const notes = Array.from({ length: 12 }, (_, i) => `- step ${i + 1}: tidy the build output and keep the logs`).join('\n');
  const command = `cat > NOTES.md <<'EOF'\n${notes}\nEOF\nrm -rf ~`;
  const { question: text, recorded } = await question({ command });
  expect(text).toContain('deletes / or a home');
  expect(text).toContain(`\n\`\`\`\n${command}\n\`\`\`\n`);
  expect(text).not.toContain('The part that needs approval');
  expect(recorded?.matched).toBe('rm -rf ~');
});

it('shows the start and the end of a command too long for a message, says how much is left out and where the whole is, and always the part that needs approval', async () => {
  const notes = Array.from({ length: 60 }, (_, i) => `- step ${i + 1}: tidy the build output and keep the logs`).join('\n');
  const command = `cat > NOTES.md <<'EOF'\n${notes}\nEOF\nrm -rf ~\necho done`;
  const { question: text, recorded } = await question({ command });
  expect(text.length).toBeLessThanOrEqual(2_000);
  expect(text).toMatch(/^⚠️ The agent wants to run a command that deletes[^\n]*:\n```\ncat > NOTES\.md <<'EOF'\n- step 1: /);
  expect(text).toMatch(/\n… [\d,]+ of its 3,\d{3} characters are not shown here …\n```\n[^`]*rm -rf ~\necho done\n```\n/);
  expect(text).toContain(`The whole command is kept with request ${recorded?.id} in Cairn's database (table command_approvals).`);
  expect(text).toContain('\nThe part that needs approval:\n```\nrm -rf ~\n```\n');
  expect(recorded?.command).toBe(command);
});

it('shares one message between a long command, its directory and its stdin, cutting each where it must and saying so', async () => {
  const command = `${'make -C build/release all install DESTDIR=/tmp/stage; '.repeat(10)}rm -rf ~ ${Array.from({ length: 30 }, (_, i) => `~/old-build-cache-${i}`).join(' ')}`;
  const stdin = Array.from({ length: 20 }, (_, i) => `step ${i}: copy artefacts into the staging folder`).join('\n');
  const cwd = `/srv/ci/workspaces/${'nightly-release-pipeline/'.repeat(20)}checkout`;
  const { question: text } = await question({ command, stdin, cwd });
  // The instructions (or, once settled, the outcome) still fit under it in one Discord message.
  expect(text.length).toBeLessThanOrEqual(2_000);
  const withoutInstructions = text.slice(0, text.indexOf('\nAn admin can allow it'));
  expect(withoutInstructions.length).toBeLessThanOrEqual(1_800);
  for (const label of ['in the directory:', 'with this on its standard input:', 'The part that needs approval:']) expect(withoutInstructions).toContain(`\n${label}\n\`\`\`\n`);
  expect(withoutInstructions.match(/characters are not shown here …/g)).toHaveLength(4);
  expect(withoutInstructions).toContain('\nThe part that needs approval:\n```\nrm -rf ~ ~/old-build-cache-0 ');
});

it("holds `rm -rf *` run in a home through the terminal's cwd, and says where it runs", async () => {
  const { question: text, recorded } = await question({ command: 'rm -rf *', cwd: '/home/alice' });
  expect(text).toContain('```\nrm -rf *\n```\nin the directory:\n```\n/home/alice\n```\n');
  expect(recorded).toMatchObject({ command: 'rm -rf *', cwd: '/home/alice', stdin: null });
  expect(ran).toEqual([]);
});

it('runs ordinary commands in a home without asking', async () => {
  for (const command of ['rm -rf node_modules', 'cd src && rm -rf *', 'make 2>&1 | tee out.log']) {
    await tools.execute({ id: '1', name: 'terminal', arguments: JSON.stringify({ command, cwd: '/home/alice' }) }, context());
  }
  expect(asked).toEqual([]);
  expect(ran).toEqual(['/home/alice: rm -rf node_modules', '/home/alice: cd src && rm -rf *', '/home/alice: make 2>&1 | tee out.log']);
});

it('lists a waiting command with the part that matched where the command is too long to show it', async () => {
  const long = `${'echo preparing the release notes; '.repeat(6)}rm -rf ~`;
  const result = tools.execute({ id: '1', name: 'terminal', arguments: JSON.stringify({ command: long }) }, context());
  await settled();
  expect(gate.decide('', true, 'telegram:1', 'telegram:dm:1')).toMatch(
    /^Waiting for approval:\n\w+ \(deletes \/ or a home or system directory recursively\):\n```\necho preparing [^`]+\n```\n… and \d+ characters more\.\nThe part that needs approval:\n```\nrm -rf ~\n```$/,
  );
  gate.decide(gate.pending()[0]?.id ?? '', false, 'telegram:1', 'telegram:dm:1');
  await result;
});

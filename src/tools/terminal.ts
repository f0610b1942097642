/**
 * The `terminal` tool: runs a shell command in the session's environment on its
 * configured back end. The working directory persists between calls; long output
 * keeps its head and tail with a marker; dangerous commands wait for an admin's
 * approval in the chat. Admin-only unless `backends.adminOnly` is false.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import type { ApprovalGate } from '../backends/approvals.js';
import { findDanger, type Danger } from '../backends/danger.js';
import type { EnvironmentRegistry } from '../backends/environments.js';
import { stripSecretValues } from '../backends/secrets.js';
import type { ExecResult } from '../backends/types.js';
import type { Tool, ToolContext } from './registry.js';
import { headOf, tailOf } from '../core/text.js';
import { truncateMiddle } from './truncate.js';

export interface ExecutionToolOptions {
  environments: EnvironmentRegistry;
  approvals: ApprovalGate;
  adminOnly: boolean;
  defaultTimeoutSeconds: number;
  maxOutputChars: number;
  maxFileBytes: number;
  /** Cairn's secret values: an env value the model passes that contains one is dropped. */
  secrets: readonly string[];
}

/** The longest a single command may be given, whatever the model asks for. */
const MAX_TIMEOUT_SECONDS = 3600;

const parameters = z.object({
  command: z.string().min(1).describe('Shell command (bash where installed, else sh). The working directory and files persist between calls in this conversation.'),
  timeoutSeconds: z.number().int().positive().max(MAX_TIMEOUT_SECONDS).optional().describe('Kill the command and everything it started after this long (default from config).'),
  cwd: z.string().min(1).optional().describe('Run in this directory (relative to the current one) without changing the current one.'),
  stdin: z.string().optional().describe('Text fed to the command on standard input.'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional().describe('Extra environment variables for this command.'),
});

export function terminalTool(options: ExecutionToolOptions): Tool<z.infer<typeof parameters>> {
  return {
    name: 'terminal',
    description: 'Run a shell command in this conversation\'s own environment and get its exit code, stdout and stderr. Use it to inspect files, run programs, install packages and test code. Long output keeps its beginning and end.',
    parameters,
    adminOnly: options.adminOnly,
    async execute(args, context) {
      const backend = options.environments.backendFor(context.conversationId);
      const danger = findDanger(args.command, { stdin: args.stdin, cwd: args.cwd });
      if (danger) await holdForApproval(options.approvals, context, { tool: 'terminal', backend, command: args.command, stdin: args.stdin, cwd: args.cwd, danger });
      const env = args.env ? stripSecretValues(args.env, options.secrets).env : undefined;
      const result = await options.environments.use(context.sessionId, context.conversationId, (environment) =>
        environment.exec({
          command: args.command,
          cwd: args.cwd,
          stdin: args.stdin,
          env,
          timeoutMs: (args.timeoutSeconds ?? options.defaultTimeoutSeconds) * 1000,
          signal: context.signal,
        }),
      );
      return formatResult(result, options.maxOutputChars, args.timeoutSeconds ?? options.defaultTimeoutSeconds);
    },
  };
}

/** Waits for an admin's decision; anything but approval becomes an error the model reads. */
export async function holdForApproval(
  approvals: ApprovalGate,
  context: ToolContext,
  what: { tool: string; backend: string; command: string; stdin?: string | undefined; cwd?: string | undefined; danger: Danger },
): Promise<void> {
  const decision = await approvals.request(
    { sessionId: context.sessionId, conversationId: context.conversationId, userId: context.userId, backend: what.backend, tool: what.tool, command: what.command, stdin: what.stdin, cwd: what.cwd, danger: what.danger, byAdmin: context.isAdmin },
    context.notify,
    context.signal,
  );
  if (decision.status === 'approved') return;
  // The admin's reason (`/deny <id> use the staging box`) often says what to do instead.
  const said = decision.note ? `, saying "${decision.note}"` : '';
  const why = {
    denied: decision.decidedBy.startsWith('cairn:') ? "it needs an admin's approval and nobody can be asked for it here (no chat, or piped input that is read only after the answer)" : `${decision.decidedByName ? `an admin (${decision.decidedByName})` : 'an admin'} denied it${said}`,
    expired: 'no admin approved it in time',
    cancelled: 'the turn was cancelled while it waited for approval',
  }[decision.status];
  throw new CairnError('permission', `Not run: this ${what.tool === 'terminal' ? 'command' : 'operation'} ${what.danger.reason}, and ${why} (request ${decision.id}). Do not retry it unchanged; find a safer way or ask the user.`);
}

/**
 * Exit status first, then each stream. Each stream may use what the other leaves: stderr is
 * held to a third only when both are long, so stdout never crowds it out, and a build's errors
 * beside one line of stdout are shown whole.
 */
export function formatResult(result: ExecResult, maxChars: number, timeoutSeconds: number): string {
  const seconds = (result.durationMs / 1000).toFixed(1);
  const status = result.timedOut
    ? result.stillRunning
      ? `timed out after ${timeoutSeconds} s; the kill sent then did not get through (the connection stopped answering), so the command may still be running there: check (ps) before running it again`
      : `timed out after ${timeoutSeconds} s: the command and every process it started were killed`
    : result.exitCode === null
      ? `ended without an exit code (${seconds} s)`
      : `exit code ${result.exitCode} (${seconds} s)`;
  const stderrBudget = Math.max(Math.min(result.stderr.length, Math.floor(maxChars / 3)), maxChars - result.stdout.length);
  const cut = (text: string, budget: number) => (result.omittedBytes > 0 ? cutStream(text, budget) : truncateMiddle(text, budget));
  const parts = [status];
  if (result.stdout !== '') parts.push(`--- stdout ---\n${cut(result.stdout, Math.max(200, maxChars - Math.min(result.stderr.length, stderrBudget)))}`);
  if (result.stderr !== '') parts.push(`--- stderr ---\n${cut(result.stderr, Math.max(200, stderrBudget))}`);
  if (result.stdout === '' && result.stderr === '') parts.push('(no output)');
  return parts.join('\n');
}

/** The mark the back end leaves where it dropped the middle of a stream too long to keep (backends/output.ts). */
const BACKEND_CUT = /\n… \[(\d+) bytes omitted\] …\n/;

/**
 * A stream the back end already cut (it keeps 256 KiB of each), cut again to `maxChars`, its mark
 * saying how long the whole stream was. Cut as any text, the back end's mark went with the middle,
 * and a command that printed 7 MB read as "243000 characters omitted".
 */
function cutStream(text: string, maxChars: number): string {
  const found = BACKEND_CUT.exec(text);
  if (!found || text.length <= maxChars) return truncateMiddle(text, maxChars);
  const head = text.slice(0, found.index);
  const tail = text.slice(found.index + found[0].length);
  const whole = Buffer.byteLength(head) + Number(found[1]) + Buffer.byteLength(tail);
  const mark = (characters: number) => `\n… [${characters} characters omitted; the whole output was ${whole} bytes] …\n`;
  const room = Math.max(0, maxChars - mark(text.length).length);
  const kept = { head: headOf(head, Math.ceil(room * 0.6)), tail: '' };
  kept.tail = tailOf(tail, room - kept.head.length);
  return kept.head + mark(head.length - kept.head.length + tail.length - kept.tail.length) + kept.tail;
}

/**
 * A tool from a module (./load.ts) as the registry runs it, held to what Cairn's own tools are held
 * to: its arguments checked by its schema, its result cut to the registry's limit, and a throw told
 * to the model as the tool's error without ending the turn (registry.ts). Here: a time limit
 * (`timeoutSeconds`, which aborts the signal the tool was given, and stops waiting for a tool that
 * does not listen), Cairn's secrets and credential shapes masked in what the model reads (an HTTP
 * client's error can quote a header), and each failure logged with the module's path for its author.
 * A `needsApproval` function runs under the same limit; the yes it asks for is the registry's to get
 * (`Tool.needsApproval`, held by backends/tool-approvals.ts in a chat, refused in a batch run).
 */
import { CairnError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createRedactor } from '../../core/redact.js';
import { systemTimers, type Timers } from '../../backends/timers.js';
import type { ApprovalNeed, Tool, ToolContext, ToolRegistry } from '../registry.js';
import type { LoadedTool } from './load.js';
import type { CustomToolContext } from './types.js';

export interface CustomToolDeps {
  logger: Logger;
  /** Cairn's secret values (config.secrets), masked in results and errors. */
  secrets: readonly string[];
  timers?: Timers;
  /** Every account of a person (their /link'ed ones): `context.caller.accounts`. Absent (`cairn tools run`): the caller's own account. */
  accountsOf?: ((person: string) => string[]) | undefined;
}

/** What the model reads when a tool returned nothing (undefined or null). */
export const NOTHING_RETURNED = 'Done (the tool returned nothing).';

/** Registers each loaded tool (./load.ts refused names that clash), and logs what was added and who is offered it. */
export function registerCustomTools(registry: ToolRegistry, loaded: readonly LoadedTool[], deps: CustomToolDeps): void {
  for (const tool of loaded) registry.register(customTool(tool, deps));
  if (loaded.length > 0) {
    const tools = loaded.map((tool) => `${tool.name} (${tool.adminOnly ? 'admins only' : 'everyone'})`);
    deps.logger.info({ tools, modules: [...new Set(loaded.map((tool) => tool.file))] }, 'tools from tool modules added (an edit to a module takes effect at the next start)');
  }
}

export function customTool(loaded: LoadedTool, deps: CustomToolDeps): Tool<Record<string, unknown>> {
  const redactor = createRedactor(deps.secrets);
  const timers = deps.timers ?? systemTimers;
  const log = { tool: loaded.name, module: loaded.file };
  const needsApproval = loaded.needsApproval;
  return {
    name: loaded.name,
    description: loaded.description,
    parameters: loaded.parameters as Tool<Record<string, unknown>>['parameters'],
    jsonSchema: loaded.jsonSchema,
    adminOnly: loaded.adminOnly,
    private: loaded.private,
    approvedBy: loaded.approvedBy,
    needsApproval: typeof needsApproval === 'function' ? (args, context) => withinTime(context, (signal) => needsApproval(args, contextFor(context, signal, deps)), 'needsApproval').then(approvalNeed) : needsApproval,
    execute: (args, context) => withinTime(context, (signal) => loaded.run(args, contextFor(context, signal, deps)), 'run').then((result) => redactor.text(resultText(result))),
  };

  /** `work` (run, or the needsApproval function) with the call's own signal, under the tool's time limit, its failures logged and told to the model masked. */
  async function withinTime<T>(context: ToolContext, work: (signal: AbortSignal) => T, part: string): Promise<Awaited<T>> {
    const timeLimit = new AbortController();
    const signal = AbortSignal.any([context.signal, timeLimit.signal]);
    const timer = timers.setTimeout(() => timeLimit.abort(new CairnError('timeout', `${loaded.name} timed out`)), loaded.timeoutSeconds * 1000);
    try {
      const running = Promise.resolve().then(() => work(signal));
      return await untilAborted(running, signal);
    } catch (error) {
      // Cut off (/stop, a restart): the registry ends the turn for that reason.
      if (context.signal.aborted) throw error;
      if (timeLimit.signal.aborted) {
        deps.logger.warn({ ...log, timeoutSeconds: loaded.timeoutSeconds }, 'a tool did not finish within its timeoutSeconds and was stopped (raise timeoutSeconds in its module if it needs longer)');
        if (part === 'needsApproval') throw new Error(`its check of whether the call needs a yes did not finish within ${loaded.timeoutSeconds} s: nothing was done.`);
        throw new Error(`it did not finish within ${loaded.timeoutSeconds} s and was stopped; it may have done part of its work. Tell the user it timed out rather than calling it again at once.`);
      }
      deps.logger.warn({ ...log, part, err: describeError(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) }, 'a tool from a tool module failed (the model was told its error)');
      throw new Error(redactor.text(describeError(error)), { cause: error });
    } finally {
      timers.clearTimeout(timer);
    }
  }
}

/** What a module's needsApproval function answered, as the registry reads it: a reason, true, or none. */
function approvalNeed(value: unknown): ApprovalNeed {
  if (value === undefined || value === null || value === false) return undefined;
  if (value === true) return true;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  throw new Error(`its needsApproval function returned ${typeof value}: return the reason a call needs a yes (text), true, or undefined when it needs none.`);
}

/** What the module's run() is given: the call's own signal, and who asked, as ./types.ts describes. */
function contextFor(context: ToolContext, signal: AbortSignal, deps: CustomToolDeps): CustomToolContext {
  const sender = context.sender;
  const account = sender?.identity ?? context.userId;
  const accounts = deps.accountsOf?.(context.userId) ?? [account];
  return {
    signal,
    caller: {
      person: context.userId,
      account,
      platform: context.platform,
      platformUserId: sender?.id ?? '',
      name: sender?.name ?? '',
      isAdmin: context.isAdmin,
      accounts: accounts.includes(account) ? accounts : [account, ...accounts],
    },
    conversation: { id: context.conversationId, isDirect: sender?.isDirect ?? false },
    now: new Date(context.now()),
  };
}

/** The result as the model reads it: text as it is, nothing as "done", anything else as JSON. */
export function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return NOTHING_RETURNED;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    throw new Error(`run() returned a value that cannot be written as JSON (${describeError(error)}): return text or plain data.`);
  }
  // A function or a symbol: JSON has no words for it.
  if (text === undefined) throw new Error(`run() returned ${typeof value}: return text or plain data.`);
  return text;
}

/** `pending`'s outcome, unless `signal` aborts first: a tool that does not listen to its signal is not waited for. */
export function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A tool from a module (./load.ts) as the registry runs it, held to what Cairn's own tools are held
 * to: its arguments checked by its schema, its result cut to the registry's limit, and a throw told
 * to the model as the tool's error without ending the turn (registry.ts). Here: a time limit
 * (`timeoutSeconds`, which aborts the signal the tool was given, and stops waiting for a tool that
 * does not listen), Cairn's secrets and credential shapes masked in what the model reads (an HTTP
 * client's error can quote a header), and each failure logged with the module's path for its author.
 */
import { CairnError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createRedactor } from '../../core/redact.js';
import { systemTimers, type Timers } from '../../backends/timers.js';
import type { Tool, ToolContext, ToolRegistry } from '../registry.js';
import type { LoadedTool } from './load.js';
import type { CustomToolContext } from './types.js';

export interface CustomToolDeps {
  logger: Logger;
  /** Cairn's secret values (config.secrets), masked in results and errors. */
  secrets: readonly string[];
  timers?: Timers;
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
  return {
    name: loaded.name,
    description: loaded.description,
    parameters: loaded.parameters as Tool<Record<string, unknown>>['parameters'],
    jsonSchema: loaded.jsonSchema,
    adminOnly: loaded.adminOnly,
    private: loaded.private,
    async execute(args, context) {
      const timeLimit = new AbortController();
      const signal = AbortSignal.any([context.signal, timeLimit.signal]);
      const timer = timers.setTimeout(() => timeLimit.abort(new CairnError('timeout', `${loaded.name} timed out`)), loaded.timeoutSeconds * 1000);
      try {
        const running = Promise.resolve().then(() => loaded.run(args, contextFor(context, signal)));
        return redactor.text(resultText(await untilAborted(running, signal)));
      } catch (error) {
        // Cut off (/stop, a restart): the registry ends the turn for that reason.
        if (context.signal.aborted) throw error;
        if (timeLimit.signal.aborted) {
          deps.logger.warn({ ...log, timeoutSeconds: loaded.timeoutSeconds }, 'a tool did not finish within its timeoutSeconds and was stopped (raise timeoutSeconds in its module if it needs longer)');
          throw new Error(`it did not finish within ${loaded.timeoutSeconds} s and was stopped; it may have done part of its work. Tell the user it timed out rather than calling it again at once.`);
        }
        deps.logger.warn({ ...log, err: describeError(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) }, 'a tool from a tool module failed (the model was told its error)');
        throw new Error(redactor.text(describeError(error)), { cause: error });
      } finally {
        timers.clearTimeout(timer);
      }
    },
  };
}

/** What the module's run() is given: the call's own signal, and who asked, as ./types.ts describes. */
function contextFor(context: ToolContext, signal: AbortSignal): CustomToolContext {
  const sender = context.sender;
  return {
    signal,
    caller: {
      person: context.userId,
      account: sender?.identity ?? context.userId,
      platform: context.platform,
      platformUserId: sender?.id ?? '',
      name: sender?.name ?? '',
      isAdmin: context.isAdmin,
    },
    conversation: { id: context.conversationId, isDirect: sender?.isDirect ?? false },
    now: new Date(context.now()),
  };
}

/** The result as the model reads it: text as it is, nothing as "done", anything else as JSON. */
function resultText(value: unknown): string {
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
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

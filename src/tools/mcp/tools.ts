/**
 * An MCP server's listed tools as Cairn's tools: named `<server>__<tool>` (a name providers refuse has its
 * other characters written as `_`), their parameters made portable (./schema.ts), offered to admins only
 * unless the server's `adminOnly: false`, and run under the server's time limit with the turn's signal (a
 * /stop or a timeout cancels the request at the server), their results read as ./result.ts says and masked.
 *
 * A tool that cannot be offered (its name too long, parameters no provider's format can say) is left out
 * with a warning, and the server's other tools offered: the server is someone else's code, which the
 * operator cannot fix, and an update of it must not stop Cairn from starting.
 */
import type { z } from 'zod';
import { CairnError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Redactor } from '../../core/redact.js';
import type { Timers } from '../../backends/timers.js';
import type { Tool, ToolContext } from '../registry.js';
import type { McpServerConfig } from '../../config/mcp.js';
import { isConnectionFailure, type ListedTool, type McpConnection, type McpToolAnnotations } from './connection.js';
import { mcpParameters } from './schema.js';
import { mcpApprovalNeed } from './approval.js';
import { resultForModel, type ImageKeeper } from './result.js';

/** A registry tool that calls an MCP server's tool. */
export interface McpTool extends Tool<Record<string, unknown>> {
  mcp: {
    server: string;
    /** The tool's name at the server. */
    tool: string;
    /**
     * The server's hints (readOnlyHint, destructiveHint, …), kept for the approval hold to read: hints its author
     * gave, which the MCP spec says a client must not trust from a server it does not trust.
     */
    annotations: McpToolAnnotations;
    /** The description's length at the server, where it was longer than MAX_DESCRIPTION_CHARS and cut. */
    descriptionCutFrom?: number;
  };
}

/** A listed tool left out, and why. */
export interface SkippedTool {
  tool: string;
  why: string;
}

export interface McpToolDeps {
  logger: Logger;
  redactor: Redactor;
  timers: Timers;
  /** Where an image a tool returns is kept for look_at_image, for this call's conversation; undefined: not kept. */
  imageKeeper(context: ToolContext): ImageKeeper | undefined;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The longest tool description sent to the model (about 500 tokens). Every offered tool's description goes
 * with every turn, so a server's manual-length descriptions (some run 8,000-10,000 characters) would cost
 * thousands of tokens a turn each, paid for and taken from the history's room; 2,048 is what other MCP
 * clients cut at too (Claude Code), so servers written for them put what matters first. What a tool's
 * arguments mean stays whole in its parameters' own descriptions. A cut is logged and `cairn tools check` says it.
 */
export const MAX_DESCRIPTION_CHARS = 2048;
const CUT_MARK = " […description cut; the server's full text is longer]";

/** The Cairn tools of a server's listing, and those left out (with why); `taken` are the names other tools hold. */
export function mcpTools(connection: McpConnection, listed: readonly ListedTool[], taken: ReadonlySet<string>, deps: McpToolDeps): { tools: McpTool[]; skipped: SkippedTool[] } {
  const server = connection.config;
  const tools: McpTool[] = [];
  const skipped: SkippedTool[] = [];
  const named = new Set<string>();
  for (const remote of listed) {
    const name = `${server.name}__${remote.name.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    const skip = (why: string) => skipped.push({ tool: remote.name, why });
    if (!NAME.test(name)) skip(`its name as Cairn offers it, ${name}, is longer than the 64 characters model providers take: give the server a shorter name in the config`);
    else if (named.has(name)) skip(`another of the server's tools is also offered as ${name} (names differ only in characters providers refuse)`);
    else if (taken.has(name)) skip(`${name} is already the name of another tool (a tool module's)`);
    else {
      const parameters = mcpParameters(remote.inputSchema);
      if (typeof parameters === 'string') skip(parameters);
      else {
        named.add(name);
        tools.push(mcpTool(connection, server, remote, name, parameters, deps));
      }
    }
  }
  return { tools, skipped };
}

function mcpTool(connection: McpConnection, server: McpServerConfig, remote: ListedTool, name: string, parameters: { parameters: z.ZodType; jsonSchema: Record<string, unknown> }, deps: McpToolDeps): McpTool {
  const limitMs = server.timeoutSeconds * 1000;
  const log = { tool: name, mcpServer: server.name };
  const described = remote.description?.trim() || remote.title || remote.annotations?.title || `The tool ${remote.name} of the MCP server ${server.name}.`;
  const cut = described.length > MAX_DESCRIPTION_CHARS;
  return {
    name,
    description: cut ? cutDescription(described) : described,
    parameters: parameters.parameters as z.ZodType<Record<string, unknown>>,
    jsonSchema: parameters.jsonSchema,
    adminOnly: server.adminOnly,
    needsApproval: approvalOf(mcpApprovalNeed(server, remote.name, remote.annotations)),
    approvedBy: server.approvedBy,
    mcp: { server: server.name, tool: remote.name, annotations: { ...remote.annotations }, ...(cut ? { descriptionCutFrom: described.length } : {}) },
    async execute(args, context) {
      const timeLimit = new AbortController();
      const signal = AbortSignal.any([context.signal, timeLimit.signal]);
      const timer = deps.timers.setTimeout(() => timeLimit.abort(new CairnError('timeout', `${name} timed out`)), limitMs);
      let result: ReturnType<typeof resultForModel>;
      try {
        result = resultForModel(await connection.call(remote.name, args, signal, limitMs), name, deps.imageKeeper(context));
      } catch (error) {
        // Cut off (/stop, a restart): the registry ends the turn for that reason; the server was told to cancel.
        if (context.signal.aborted) throw error;
        if (timeLimit.signal.aborted) {
          deps.logger.warn({ ...log, timeoutSeconds: server.timeoutSeconds }, 'an MCP tool did not finish within its server\'s timeoutSeconds and was cancelled (raise timeoutSeconds of the server if it needs longer)');
          throw new Error(`it did not finish within ${server.timeoutSeconds} s and was cancelled; it may have done part of its work. Tell the user it timed out rather than calling it again at once.`);
        }
        // The server went away under the call (a crash, a lost connection): whether it did its work is unknown.
        const lost = isConnectionFailure(error) ? `the MCP server "${server.name}" stopped or could not be reached during the call (${describeError(error)}); it is started again at the next call, and whether this call did its work is unknown` : undefined;
        const said = deps.redactor.text(lost ?? describeError(error));
        deps.logger.warn({ ...log, err: said }, 'an MCP tool call failed (the model was told its error)');
        throw new Error(said, { cause: error });
      } finally {
        deps.timers.clearTimeout(timer);
      }
      const text = deps.redactor.text(result.text);
      // The tool's own failure (isError): told to the model as the tool's error, counted as one in the task.
      if (result.isError) {
        deps.logger.info({ ...log }, 'an MCP tool answered with an error (the model was told it)');
        throw new Error(text);
      }
      return text;
    },
  };
}

/** A description cut to MAX_DESCRIPTION_CHARS with the mark, at the last sentence's or word's end before it where one is near. */
function cutDescription(text: string): string {
  const room = MAX_DESCRIPTION_CHARS - CUT_MARK.length;
  let head = text.slice(0, room);
  // Whole characters: a cut inside a surrogate pair drops its first half.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const sentence = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
  const space = head.search(/\s\S*$/);
  const at = sentence > room * 0.75 ? sentence + 1 : space > room * 0.9 ? space : head.length;
  return `${head.slice(0, at).trimEnd()}${CUT_MARK}`;
}

/** The hold as the registry takes it: none, or every call with the reason said. */
function approvalOf(need: string | false): NonNullable<Tool<Record<string, unknown>>['needsApproval']> {
  return need === false ? false : () => need;
}

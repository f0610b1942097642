/**
 * The tools the model may call. Arguments are validated with each tool's zod
 * schema; any failure (bad JSON, bad arguments, unknown tool, a throw) becomes a
 * result the model can read and act on, never an exception out of the turn.
 */
import { z } from 'zod';
import { portableSchema } from './portable-schema.js';
import type { ToolCall, ToolDefinition } from '../model/types.js';
import type { OutboundFile, PostedMessage, ReplyButton } from '../core/message.js';
import { describeError, isCairnError } from '../core/errors.js';
import { truncateMiddle, wholeCharacters } from './truncate.js';
import { INVALID_TOOL_NAME } from '../model/tool-names.js';
import type { PersonZone } from '../time-zones/index.js';

export interface ToolContext {
  sessionId: string;
  conversationId: string;
  userId: string;
  platform: string;
  isAdmin: boolean;
  signal: AbortSignal;
  now: () => number;
  /** Who asked, as the platform knows them (a scheduled task runs as them later). */
  sender?: { identity: string; id: string; name: string; isDirect: boolean };
  /** Posts a message into the conversation now, mid-turn (approval requests, with buttons); absent where there is no chat. */
  notify?: Notify;
  /** Sends a file into the conversation now; absent where the platform takes none (or there is no chat). */
  sendFile?: FileSender;
  /**
   * The time zone of the person speaking, as it stands when asked (they may set it mid-turn): theirs, their
   * platform's, or CAIRN_TZ (time-zones/). Absent outside a chat turn (batch runs): the tools use CAIRN_TZ.
   */
  zone?: () => PersonZone;
}

/**
 * Posts into the conversation mid-turn; `buttons` send commands at a tap where the platform
 * shows them. Resolves with the posted message where it can be changed later; throws when
 * the platform refused it.
 */
export type Notify = (text: string, buttons?: ReplyButton[]) => Promise<PostedMessage | undefined>;

/** Sends a file into the conversation, with a caption; throws when the platform refuses it. */
export interface FileSender {
  /** The largest file the platform takes. */
  maxBytes: number;
  send(file: OutboundFile, caption: string): Promise<void>;
}

export interface Tool<Args = unknown> {
  name: string;
  description: string;
  parameters: z.ZodType<Args>;
  /** The parameters as the model is sent them, where the tool has them written already (a tool module's); else made from `parameters`. */
  jsonSchema?: Record<string, unknown>;
  /** Only offered to admin users. */
  adminOnly?: boolean;
  /** The result concerns only the person who asked (their notes): others in a shared conversation never see it. */
  private?: boolean;
  /**
   * The call waits for a person's yes before it runs (it changes something: opens a ticket, refunds an order). `true`:
   * every call; a function of the checked arguments: a reason (text, shown to whoever decides), `true` (needs one, no
   * reason given), or false/undefined (this call needs none). A throw there is the tool's error, and nothing runs.
   * Refused or unanswered, the model reads why and nothing runs. Asked through the registry's hold (`holdWith`).
   */
  needsApproval?: boolean | ((args: Args, context: ToolContext) => ApprovalNeed | Promise<ApprovalNeed>);
  /** Who may say yes: 'caller' (the default: the person whose message asked for it, or an admin) or 'admin' (an admin only, as held commands). */
  approvedBy?: Approver;
  execute(args: Args, context: ToolContext): Promise<string | object> | string | object;
}

/** What a tool's `needsApproval` function answers for one call: the reason it needs a yes, true, or none (false, undefined). */
export type ApprovalNeed = string | boolean | undefined;
export type Approver = 'caller' | 'admin';

/** A call waiting for a person's yes, as the hold is asked it. */
export interface ApprovalAsk {
  tool: string;
  /** The arguments as checked: shown to whoever decides. */
  arguments: unknown;
  /** Why it needs a yes, where the tool said. */
  reason: string | undefined;
  approvedBy: Approver;
}

/** Asks for a call's approval and waits: undefined when it may run, else what the model reads (nothing ran). Throws only when the turn was cut off. */
export type ApprovalHold = (ask: ApprovalAsk, context: ToolContext) => Promise<string | undefined>;

export interface ToolOutcome {
  content: string;
  ok: boolean;
  /** Short reason when ok is false, for trajectories and audits. */
  error?: string;
}

/** Tool results longer than this are cut in the middle so the model sees both ends. */
export const MAX_TOOL_RESULT_CHARS = 20_000;

export class ToolRegistry {
  private readonly tools = new Map<string, Tool<never>>();
  /** JSON Schemas of the tools' parameters: converting zod on every model call cost ~0.5 ms a call (bench batch). */
  private readonly schemas = new Map<string, Record<string, unknown>>();
  /** Asks for the yes a tool's `needsApproval` wants; unset, such a call is refused (nobody can be asked). */
  private hold: ApprovalHold | undefined;

  register<Args>(tool: Tool<Args>): this {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`Invalid tool name: ${tool.name}`);
    if (this.tools.has(tool.name)) throw new Error(`Tool registered twice: ${tool.name}`);
    this.tools.set(tool.name, tool as unknown as Tool<never>);
    return this;
  }

  /** How calls that need a person's yes are asked (createCairn: the approval gate; a batch run: its own rule). */
  holdWith(hold: ApprovalHold): this {
    this.hold = hold;
    return this;
  }

  /** Takes a tool away (an MCP server that no longer lists it); a turn already holding its definition is told it is unknown. */
  unregister(name: string): boolean {
    this.schemas.delete(name);
    return this.tools.delete(name);
  }

  isPrivate(name: string): boolean {
    return this.tools.get(name)?.private === true;
  }

  /** Offered to admins only: what such a tool was given and returned is theirs to read, not the other people's in a group. */
  isAdminOnly(name: string): boolean {
    return this.tools.get(name)?.adminOnly === true;
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  definitions(context: { isAdmin: boolean }): ToolDefinition[] {
    return [...this.tools.values()]
      .filter((tool) => context.isAdmin || !tool.adminOnly)
      .map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: this.schemaOf(tool),
      }));
  }

  private schemaOf(tool: Tool<never>): Record<string, unknown> {
    let schema = this.schemas.get(tool.name);
    if (!schema) {
      schema = tool.jsonSchema ?? portableSchema(z.toJSONSchema(tool.parameters, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
      this.schemas.set(tool.name, schema);
    }
    return schema;
  }

  async execute(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    if (call.name === INVALID_TOOL_NAME) {
      const available = this.definitions(context).map((d) => d.name);
      return failure(`That tool call could not be read: its name was missing or no tool's name, or its JSON was broken. Send "name" (one of: ${available.join(', ') || 'none'}) and "arguments" as a JSON object.`, 'unknown_tool');
    }
    const tool = this.tools.get(call.name);
    if (!tool || (tool.adminOnly && !context.isAdmin)) {
      const available = this.definitions(context).map((d) => d.name);
      return failure(`Unknown tool "${call.name}". Available tools: ${available.join(', ') || 'none'}.`, 'unknown_tool');
    }
    let raw: unknown;
    try {
      raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (error) {
      return failure(`The arguments for ${call.name} are not valid JSON (${describeError(error)}). Send a JSON object matching the tool's parameters.`, 'invalid_json');
    }
    // `null` is "no arguments" as some servers write it (vLLM's parsers json.dumps a model's `"arguments": null`), as
    // hermes.ts reads it in text calls: refused as "expected object, received null", a tool without parameters could not be called.
    if (raw === null) raw = {};
    const named = withParameterNames(raw, this.schemaOf(tool));
    if (named.unknown.length > 0) {
      const parameters = Object.keys(properties(this.schemaOf(tool)) ?? {});
      return failure(`${call.name} has no parameter ${named.unknown.map((key) => `"${key}"`).join(', ')}, so nothing was done. Its parameters are: ${parameters.join(', ') || 'none'}.`, 'invalid_arguments');
    }
    const parsed = parseLeniently(tool.parameters, named.raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`);
      return failure(`Invalid arguments for ${call.name}: ${issues.join('; ')}.`, 'invalid_arguments');
    }
    try {
      const refused = await this.approval(tool, parsed.data as never, context);
      if (refused !== undefined) {
        // Cut off while it waited (/stop, a restart): the turn ends for that reason, as when a tool throws then.
        if (context.signal.aborted) throw context.signal.reason;
        return failure(refused, 'not_approved');
      }
      const result = await tool.execute(parsed.data as never, context);
      const text = typeof result === 'string' ? result : JSON.stringify(result, null, 2);
      return { ok: true, content: wholeCharacters(truncateMiddle(text, MAX_TOOL_RESULT_CHARS)) };
    } catch (error) {
      // Cut off (a restart, /stop): the turn ends for that reason. The tool's own error says only how it noticed, and
      // would be told to the user as the cause (an approval withdrawn at shutdown is a 'permission' error: "the provider refused the API key").
      if (context.signal.aborted) throw isCairnError(context.signal.reason) ? context.signal.reason : error;
      return failure(`Error from ${call.name}: ${describeError(error)}`, 'tool_error');
    }
  }

  /** Undefined when the call may run (it needs no yes, or got one); else why not, for the model. */
  private async approval(tool: Tool<never>, args: never, context: ToolContext): Promise<string | undefined> {
    const need = typeof tool.needsApproval === 'function' ? await tool.needsApproval(args, context) : tool.needsApproval;
    if (need === undefined || need === false || need === '') return undefined;
    const ask: ApprovalAsk = { tool: tool.name, arguments: args, reason: typeof need === 'string' ? need : undefined, approvedBy: tool.approvedBy ?? 'caller' };
    if (!this.hold) return `Not done: ${tool.name} waits for a person's yes before it runs, and nobody can be asked for one here. Tell the user it needs their approval in a chat with Cairn.`;
    return this.hold(ask, context);
  }
}

/**
 * The arguments under the schema's own names. Zod drops a key it does not know, so a call that
 * named a parameter the tool lacks ran as if it were not there: write_file with "append" replaced
 * the file with the new line alone, read_file with read_attachment's "start_line" read page one
 * again. A name written in another case style (start_line, StartLine for startLine) is read as the
 * parameter it names; any other is refused, saying which parameters there are. Left-out values
 * (null, "") are dropped later anyway, and a schema open to any key (a record) takes them all.
 */
function withParameterNames(raw: unknown, schema: Record<string, unknown>): { raw: unknown; unknown: string[] } {
  const known = properties(schema);
  if (!known || (schema.additionalProperties !== undefined && schema.additionalProperties !== false)) return { raw, unknown: [] };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { raw, unknown: [] };
  const byLooseName = new Map(Object.keys(known).map((name) => [looseName(name), name]));
  const unknown: string[] = [];
  const named: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = Object.hasOwn(known, key) ? key : byLooseName.get(looseName(key));
    if (name !== undefined && !(name !== key && Object.hasOwn(raw, name))) named[name] = value;
    else if (value !== null && value !== '') unknown.push(key);
  }
  return { raw: named, unknown };
}

function properties(schema: Record<string, unknown>): Record<string, unknown> | undefined {
  const value = schema.properties;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A parameter name without its case style: start_line, startLine and START-LINE are one. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The arguments as the schema reads them, forgiving what models commonly send: `null` or an
 * empty string for an optional field left out (Gemini, vLLM, Hermes text; `"kind": ""`), and a
 * number or true/false written as a string ("1"). Only fields the schema refused are mended: an
 * empty one is left out (still refused if the field is required), a mistyped one coerced.
 */
function parseLeniently(schema: z.ZodType, raw: unknown) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return schema.safeParse(raw);
  const withoutNulls = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
  const first = schema.safeParse(withoutNulls);
  if (first.success) return first;
  const refused = new Map(first.error.issues.filter((issue) => issue.path.length === 1).map((issue) => [String(issue.path[0]), issue.code]));
  let changed = false;
  const mended = Object.fromEntries(
    Object.entries(withoutNulls).flatMap(([key, value]) => {
      if (!refused.has(key)) return [[key, value]];
      changed = true;
      if (typeof value === 'string' && value.trim() === '') return [];
      return [[key, refused.get(key) === 'invalid_type' ? coerce(value) : value]];
    }),
  );
  if (!changed) return first;
  const second = schema.safeParse(mended);
  return second.success ? second : first;
}

function coerce(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return value;
}

/** A failure as the model reads it: cut like a result (a tool's error can carry a whole log, or the arguments it refused). */
function failure(content: string, error: string): ToolOutcome {
  return { ok: false, content: wholeCharacters(truncateMiddle(content, MAX_TOOL_RESULT_CHARS)), error };
}

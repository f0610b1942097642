/**
 * What a tool module exports, as its author writes it (README: "Your own tools"). A TypeScript
 * module may import these types by path (`import type { CustomTool } from '<cairn>/src/tools/custom/types.js'`):
 * a type-only import is erased when Cairn loads the module, so it needs nothing installed beside it.
 *
 * A module's default export is one tool or a list of them; or it exports a list named `tools`.
 */

/** A JSON Schema object (draft 2020-12 or 07) describing the arguments, with `type: "object"` at the top. */
export type JsonSchemaObject = Record<string, unknown>;

export interface CustomTool<Args = Record<string, unknown>> {
  /** What the model calls it: letters, digits, `_` and `-`, at most 64; not a name Cairn's own tools use. */
  name: string;
  /** When the model should use it, and what it returns: the model reads only this (and the parameters' descriptions). */
  description: string;
  /** The arguments: a zod 4 object schema, or a JSON Schema object. They are checked before `run` is called. */
  parameters: unknown;
  /**
   * Does the work. Returns text, or a value sent as JSON (undefined: "done, nothing returned"). A throw is told
   * to the model as the tool's error (its message), so say in it what went wrong in words the model can act on.
   */
  run(args: Args, context: CustomToolContext): unknown;
  /** Offered to admins only (the default, true): set false to offer it to everyone allowed to talk to Cairn. */
  adminOnly?: boolean;
  /** The result concerns only the person who asked (their tickets): others in a shared conversation never see it. */
  private?: boolean;
  /** Longest one call may take before `context.signal` aborts and the model is told it timed out (default 60, at most 3600). */
  timeoutSeconds?: number;
  /**
   * Each call waits for a person's yes before `run` is called (the tool changes something: opens a ticket, refunds an
   * order). `true`: every call. A function of the checked arguments decides per call: return the reason, shown to whoever
   * decides ("refunds 420 EUR to the customer's card"), `true`, or undefined/false when this call needs no yes (a lookup,
   * a refund under 50 EUR). It may be async and gets the context `run` gets; a throw there is the tool's error. Refused or
   * unanswered within CAIRN_APPROVAL_TIMEOUT_SECONDS, `run` is not called and the model is told why. A batch run or
   * `cairn atropos serve` refuses such calls unless given --approve-tools (nobody is there to ask).
   */
  needsApproval?: boolean | ((args: Args, context: CustomToolContext) => string | boolean | undefined | Promise<string | boolean | undefined>);
  /**
   * Who may say yes (with `needsApproval`): "caller" (the default), the person whose message asked for the call (in
   * their chat, Yes and No buttons or /confirm <id> and /decline <id>; an admin may answer too); or "admin", an admin
   * only, as for Cairn's held terminal commands (the request also goes to CAIRN_ADMIN_CHANNEL when the caller is none).
   */
  approvedBy?: 'caller' | 'admin';
}

export interface CustomToolContext {
  /** Aborts when the call times out, the person says /stop, or Cairn shuts down: pass it to fetch() and the like. */
  signal: AbortSignal;
  /** Who asked. A scheduled task's run asks as the person who set it. */
  caller: {
    /** The person: their platform account (`slack:T1:U1`), or a shared key when they linked accounts with /link. */
    person: string;
    /** The platform account the message came from (`slack:T1:U1`, `telegram:42`, `discord:1234`, `console:ada`). */
    account: string;
    /** `slack`, `telegram`, `discord` or `console`. */
    platform: string;
    /** The platform's own id of the sender (`U1`, `42`): what `*_ALLOWED_USERS` and `*_ADMIN_USERS` hold. */
    platformUserId: string;
    /** The name the platform shows. */
    name: string;
    isAdmin: boolean;
    /**
     * Every platform account of the person (`account` among them): those they joined with /link, in the order they
     * were linked; just `[account]` when they linked none. What a tool maps people by: Cairn knows no e-mail address
     * (it asks Slack for none: that needs the users:read.email scope, which Cairn's app does not ask for).
     */
    accounts: string[];
  };
  conversation: {
    /** `slack:T1:C1:1700000000.1`: carries the platform and the channel or thread. */
    id: string;
    /** A direct message (only the caller reads the answer), not a channel or group. */
    isDirect: boolean;
  };
  /** Cairn's clock (the time of the call). */
  now: Date;
}

/**
 * The yes a tool's call waits for (Tool.needsApproval in tools/registry.ts), asked through the same approval gate
 * as held terminal commands (./approvals.ts): the same question in the chat with buttons, the same expiry by the
 * wall clock, the same record in command_approvals (backend "tool", the arguments as JSON in `command`, rule
 * `needs-approval:<who>`), the same refusal when there is nobody to ask. Who answers is the tool's `approvedBy`:
 * the caller themselves (the default; a request of theirs is not sent to the admin channel), or an admin only.
 * The model is not called while the call waits (the turn waits; the person sees the question); it reads the
 * result once the call ran, or, refused or unanswered, why nothing was done.
 */
import type { ApprovalAsk, ApprovalHold } from '../tools/registry.js';
import type { ApprovalDecision, ApprovalGate } from './approvals.js';

/** The back end a tool's call is recorded under in command_approvals. */
export const TOOL_CALL_BACKEND = 'tool';

export function approvalGateHold(gate: ApprovalGate): ApprovalHold {
  return async (ask, context) => {
    const decision = await gate.request(
      {
        sessionId: context.sessionId,
        conversationId: context.conversationId,
        userId: context.userId,
        backend: TOOL_CALL_BACKEND,
        tool: ask.tool,
        command: argumentsText(ask.arguments),
        danger: { rule: `needs-approval:${ask.approvedBy}`, reason: `calls ${ask.tool}${ask.reason === undefined ? '' : `: ${ask.reason}`}` },
        byAdmin: context.isAdmin,
        toolCall: { approvedBy: ask.approvedBy, callerName: context.sender?.name ?? '', reason: ask.reason },
      },
      context.notify,
      context.signal,
    );
    return decision.status === 'approved' ? undefined : refusal(ask, decision, context.userId);
  };
}

/** The arguments as the person deciding reads them: JSON, indented. */
function argumentsText(args: unknown): string {
  return JSON.stringify(args ?? {}, null, 2) ?? '{}';
}

/** What the model reads when the call was not allowed: why, and what to do instead of calling it again. */
export function refusal(ask: ApprovalAsk, decision: ApprovalDecision, callerId: string): string {
  const needs = `Not done: ${ask.tool} waits for ${ask.approvedBy === 'admin' ? "an admin's" : "the user's"} yes before it runs${ask.reason === undefined ? '' : ` (${ask.reason})`}`;
  // What the person said with their answer (`/decline <id> not that order`) often says what to do instead.
  const said = decision.note ? `, saying "${decision.note}"` : '';
  const who = decision.decidedBy === callerId ? 'the user' : decision.decidedByName ? `an admin (${decision.decidedByName})` : 'an admin';
  switch (decision.status) {
    case 'denied':
      if (decision.decidedBy.startsWith('cairn:')) return `${needs}, and nobody can be asked for it here (no chat to ask in, or piped input read only after the answer) (request ${decision.id}). Tell the user it needs their yes in a chat with Cairn.`;
      return `${needs}, and ${who} said no${said} (request ${decision.id}). Do not call it again unless they ask for it; ask what they want instead.`;
    case 'expired':
      return `${needs}, and nobody said yes in time (request ${decision.id}). Tell the user it was not done; call it again only if they ask.`;
    default:
      return `${needs}, and the turn was cancelled while it waited (request ${decision.id}).`;
  }
}

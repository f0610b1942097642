/**
 * The chat commands that answer a request of the approval gate (./approvals.ts), and the buttons that send them.
 * `/approve <id>` and `/deny <id>` are an admin's, for any request. `/confirm <id>` and `/decline <id>` are for
 * everyone: the person whose message led to a tool's call that waits for their own yes (Tool.needsApproval with
 * approvedBy 'caller') answers it with them; anyone else is refused, unless an admin, whose answer counts as theirs
 * does. All run at once, outside the conversation's queue: the turn that asked is waiting on them.
 */
import type { CommandRegistry } from '../core/commands.js';
import type { ReplyButton } from '../core/message.js';
import type { ApprovalGate } from './approvals.js';

/** Under a request an admin answers. */
export function adminButtons(id: string): ReplyButton[] {
  return [
    { label: 'Approve', command: `/approve ${id}` },
    { label: 'Deny', command: `/deny ${id}` },
  ];
}

/** Under a tool's call its caller confirms. */
export function callerButtons(id: string): ReplyButton[] {
  return [
    { label: 'Yes, go ahead', command: `/confirm ${id}` },
    { label: 'No', command: `/decline ${id}` },
  ];
}

export function registerApprovalCommands(commands: CommandRegistry, gate: ApprovalGate): void {
  commands.register({
    name: 'approve',
    usage: 'approve <id>',
    description: 'allow a command the agent is waiting to run (without an id: list those waiting)',
    adminOnly: true,
    immediate: true,
    run: ({ message, args }) => gate.decide(args, true, message.userId, message.conversationId, message.userName),
  });
  commands.register({
    name: 'deny',
    usage: 'deny <id> [why]',
    description: 'refuse a command the agent is waiting to run (the words after the id are shown as the reason)',
    adminOnly: true,
    immediate: true,
    run: ({ message, args }) => gate.decide(args, false, message.userId, message.conversationId, message.userName),
  });
  for (const [name, approve] of [['confirm', true], ['decline', false]] as const) {
    commands.register({
      name,
      usage: approve ? 'confirm <id>' : 'decline <id> [why]',
      description: approve ? 'let the agent go ahead with what it asked your yes for' : 'refuse what the agent asked your yes for (the words after the id are told to it)',
      immediate: true,
      run: ({ message, args, isAdmin }) => {
        const id = /^\S*/.exec(args.trim())?.[0] ?? '';
        const refused = isAdmin ? undefined : notYours(gate, id, message.userId, name);
        return refused ?? gate.decide(args, approve, message.userId, message.conversationId, message.userName);
      },
    });
  }
}

/** Why someone who is no admin may not answer request `id`; undefined when it is theirs to answer. */
function notYours(gate: ApprovalGate, id: string, userId: string, command: string): string | undefined {
  if (id === '') return `Write /${command} with the id the request shows (/${command} k3m9pq).`;
  const asked = gate.waitingFor(id);
  if (!asked) return `Nothing waits for your answer as ${id.toLowerCase()}: it may have been answered or run out of time already.`;
  if (!asked.callerDecides) return `Request ${id.toLowerCase()} waits for an admin's answer; only an admin can allow or refuse it.`;
  if (asked.by !== userId) return `Only ${asked.callerName || 'the person who asked for it'} or an admin can answer request ${id.toLowerCase()}.`;
  return undefined;
}

/**
 * What a batch run or `cairn atropos serve` does with a tool's call that waits for a person's yes (Tool.needsApproval):
 * nobody is there to ask. By default the call is refused, the model told as a chat with nobody to ask tells it, and the
 * operator warned once per tool: such a tool changes things (refunds, tickets), and a run replays hundreds of tasks,
 * several at once, unattended, often against the same systems the team uses. `--approve-tools` lets every such call
 * run unasked, for a run whose tools point at a test system (or whose changes are wanted).
 */
import type { Logger } from '../core/logger.js';
import type { ApprovalHold } from '../tools/registry.js';

export function batchApprovalHold(approveTools: boolean, logger: Logger): ApprovalHold {
  const warned = new Set<string>();
  return async (ask) => {
    if (approveTools) return undefined;
    if (!warned.has(ask.tool)) {
      warned.add(ask.tool);
      logger.warn({ tool: ask.tool }, `${ask.tool} waits for a person's yes before it runs, and a batch run has nobody to ask: its calls are refused (the model is told). --approve-tools lets them run unasked (point the tool at a test system first).`);
    }
    return `Not done: ${ask.tool} waits for ${ask.approvedBy === 'admin' ? "an admin's" : "the user's"} yes before it runs${ask.reason === undefined ? '' : ` (${ask.reason})`}, and nobody can be asked for it here (no chat to ask in). Tell the user it needs their yes in a chat with Cairn.`;
  };
}

/**
 * Skill changes reflection proposed (CAIRN_REFLECTION=propose), reviewed from the chat:
 * `/proposals` lists those waiting, `show`, `apply` and `reject` act on one. Admins only:
 * a skill is shared by everyone Cairn talks to. With CAIRN_ADMIN_CHANNEL set, each new
 * proposal is posted there with Apply and Reject buttons, which come off once it is settled.
 */
import type { Clock } from '../core/clock.js';
import type { CommandRegistry } from '../core/commands.js';
import { isCairnError } from '../core/errors.js';
import type { ReplyButton } from '../core/message.js';
import { headOf, oneLine } from '../core/text.js';
import type { Proposal, ProposalStore } from './proposals.js';
import { cappedReason } from './reflection-schema.js';

/** Most of a proposed skill body or patch text shown in the chat. */
const SHOWN_CHARS = 1_500;

/** A proposal an admin applied or rejected: who, and what came of it in words. */
export type ProposalSettled = (id: number, outcome: string) => void;

export function registerProposalCommands(commands: CommandRegistry, proposals: ProposalStore, clock: Clock, onSettled?: ProposalSettled): void {
  commands.register({
    name: 'proposals',
    usage: 'proposals [show|apply|reject <id>]',
    description: 'review the skill changes Cairn proposed: list them, show one, apply or reject it',
    adminOnly: true,
    run: ({ args, message }) => {
      const [action = '', idText = ''] = args.trim().split(/\s+/);
      if (action === '') return listPending(proposals.pending());
      const id = Number(idText.replace(/^#/, ''));
      if (!['show', 'apply', 'reject'].includes(action) || !Number.isSafeInteger(id) || id <= 0) return 'Usage: /proposals, or /proposals show|apply|reject <id> (the number /proposals lists).';
      try {
        if (action === 'show') {
          const proposal = proposals.get(id);
          return proposal ? describeProposal(proposal) : `No skill proposal has id ${id}. Send /proposals for those waiting.`;
        }
        const who = message.userName ?? message.userId;
        if (action === 'reject') {
          const rejected = proposals.reject(id, clock.now());
          onSettled?.(id, `🚫 Rejected by ${who}.`);
          return `Rejected proposal #${rejected.id}.`;
        }
        const applied = proposals.apply(id, 'person', clock.now());
        if (applied.status !== 'applied') {
          // Settled all the same (failed): the posted proposal loses its buttons and says why.
          onSettled?.(id, `⚠️ Could not be applied (${who}): ${applied.detail ?? 'unknown error'}`);
          return `Proposal #${id} could not be applied: ${applied.detail ?? 'unknown error'}`;
        }
        onSettled?.(id, `✅ Applied by ${who}.`);
        return `Applied proposal #${id}: ${applied.detail ?? applied.change.name}.`;
      } catch (error) {
        if (isCairnError(error)) return error.message;
        throw error;
      }
    },
  });
}

/** A proposal in words: what would change, why, and (in short) the text. */
export function describeProposal(proposal: Proposal): string {
  const { change } = proposal;
  const from = proposal.taskId === undefined ? '' : ` after task ${proposal.taskId}`;
  // One stored before reasons were capped is shown cut all the same.
  const why = `Why: ${cappedReason(change.reason)}`;
  const head =
    change.action === 'create'
      ? [`Proposal #${proposal.id}${from}: a new skill "${change.name}": ${change.description}`, why, '', shown(change.body)]
      : [`Proposal #${proposal.id}${from}: a change to the skill "${change.name}"${proposal.base ? ` (version ${proposal.base.version})` : ''}`, why, '', 'Replace:', shown(change.find), 'With:', shown(change.replace)];
  const status = proposal.status === 'pending' ? '' : `\n(${proposal.status}${proposal.detail ? `: ${proposal.detail}` : ''})`;
  return `${head.join('\n')}${status}`;
}

/** The buttons under a new proposal posted to the admins. */
export function proposalButtons(proposal: Proposal): ReplyButton[] {
  return [
    { label: 'Apply', command: `/proposals apply ${proposal.id}` },
    { label: 'Reject', command: `/proposals reject ${proposal.id}` },
  ];
}

function listPending(pending: Proposal[]): string {
  if (pending.length === 0) return 'No skill changes are waiting for review.';
  const lines = pending.map((p) => `#${p.id} ${p.change.action === 'create' ? 'new skill' : 'change to'} ${p.change.name}: ${oneLine(p.change.reason, 200)}`);
  return [`Skill changes waiting for review (${pending.length}):`, ...lines, '', 'Send /proposals show <id> to read one, then apply or reject it.'].join('\n');
}

function shown(text: string): string {
  const block = text.length <= SHOWN_CHARS ? text : `${headOf(text, SHOWN_CHARS)}…`;
  return `\`\`\`\n${block.replace(/```/g, "'''")}\n\`\`\``;
}

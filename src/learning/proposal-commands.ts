/**
 * Skill changes reflection proposed (CAIRN_REFLECTION=propose), reviewed from the chat:
 * `/proposals` lists those waiting, `show`, `apply` and `reject` act on one (`reject <id> <why>` keeps the
 * reason, which reflection is told before it proposes to that skill again). Admins only:
 * a skill is shared by everyone Cairn talks to. With CAIRN_ADMIN_CHANNEL set, each new
 * proposal is posted there with Apply and Reject buttons, which come off once it is settled.
 */
import type { Clock } from '../core/clock.js';
import type { CommandRegistry } from '../core/commands.js';
import { isCairnError } from '../core/errors.js';
import type { ReplyButton } from '../core/message.js';
import { headOf, oneLine } from '../core/text.js';
import { CLI_DECIDER, type Proposal, type ProposalStore } from './proposals.js';
import { cappedReason } from './reflection-schema.js';

/** Most of a proposed skill body or patch text shown in the chat. */
const SHOWN_CHARS = 1_500;
/**
 * Proposals one `/proposals` lists: after a holiday, sixty waiting ones were one reply of many messages
 * (Discord's 2,000 characters each, a Slack slash command's five response_url uses).
 */
export const PROPOSALS_PER_PAGE = 10;
const DAY_MS = 86_400_000;
/** How much of a name, and of a rejection's reason, the line that says how a proposal was settled shows (as /deny's). */
const NAME_CHARS = 80;
const NOTE_CHARS = 100;

/** A proposal an admin applied or rejected: who, and what came of it in words. */
export type ProposalSettled = (id: number, outcome: string) => void;

export function registerProposalCommands(commands: CommandRegistry, proposals: ProposalStore, clock: Clock, onSettled?: ProposalSettled): void {
  commands.register({
    name: 'proposals',
    usage: 'proposals [page <n>|show|apply <id>|reject <id> [why]]',
    description: 'review the skill changes Cairn proposed: list them, show one, apply or reject it',
    adminOnly: true,
    run: ({ args, message }) => {
      // The words after a rejected proposal's id are why (as /deny's): kept as typed, line breaks and all.
      const [, action = '', idText = '', why = ''] = /^(\S*)\s*(\S*)\s*([\s\S]*)$/.exec(args.trim()) ?? [];
      const number = Number(idText.replace(/^#/, ''));
      const valid = Number.isSafeInteger(number) && number > 0;
      if (action === '' || (action === 'page' && valid)) return listPending(proposals, action === '' ? 1 : number, clock.now());
      const id = number;
      if (!['show', 'apply', 'reject'].includes(action) || !valid) return 'Usage: /proposals (or /proposals page <n>), /proposals show|apply <id>, /proposals reject <id> [why] (the number /proposals lists).';
      try {
        if (action === 'show') {
          const proposal = proposals.get(id);
          return proposal ? describeProposal(proposal) : `No skill proposal has id ${id}. Send /proposals for those waiting.`;
        }
        const who = message.userName ?? message.userId;
        if (action === 'reject') return reject(proposals, id, why.trim(), { id: message.userId, name: message.userName }, clock.now(), onSettled);
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

/**
 * Rejects a proposal, keeping who and why. One the Reject button already rejected (a button says nothing)
 * takes the reason given afterwards: the reply to the button says how.
 */
function reject(proposals: ProposalStore, id: number, why: string, by: { id: string; name: string | undefined }, now: number, onSettled: ProposalSettled | undefined): string {
  const before = proposals.get(id);
  if (before?.status === 'rejected' && before.decisionNote !== undefined) return `Proposal #${id} is already ${rejectionLine(before)}.`;
  const rejected = proposals.reject(id, now, by, why === '' ? undefined : why);
  if (before?.status === 'rejected') return `Kept why proposal #${id} was rejected; reflection is told it before it proposes a change to "${rejected.change.name}" again.`;
  onSettled?.(id, `🚫 ${capitalized(rejectionLine(rejected))}.`);
  if (why === '') return `Rejected proposal #${id}. To tell reflection why (so it does not propose the same again), send /proposals reject ${id} <why>.`;
  return `Rejected proposal #${id}; reflection is told why before it proposes a change to "${rejected.change.name}" again.`;
}

/**
 * How a rejected proposal was settled, as the admin channel and lists show it: "rejected by Ada: too broad",
 * "rejected from the terminal", or, for one rejected without a record of who (before migration 033), `unknown`.
 */
export function rejectionLine(proposal: Proposal, noteChars = NOTE_CHARS, unknown = 'by a person'): string {
  const who =
    proposal.decidedBy === undefined ? unknown : proposal.decidedBy === CLI_DECIDER ? 'from the terminal (cairn skills reject)' : `by ${oneLine(proposal.decidedByName ?? proposal.decidedBy, NAME_CHARS)}`;
  const said = proposal.decisionNote === undefined ? '' : `: ${oneLine(proposal.decisionNote, noteChars).replace(/[.!]+$/u, '')}`;
  return `rejected ${who}${said}`;
}

export function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
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
  const status = proposal.status === 'pending' ? '' : proposal.status === 'rejected' ? `\n(${rejectionLine(proposal, SHOWN_CHARS)})` : `\n(${proposal.status}${proposal.detail ? `: ${proposal.detail}` : ''})`;
  return `${head.join('\n')}${status}`;
}

/** The buttons under a new proposal posted to the admins. */
export function proposalButtons(proposal: Proposal): ReplyButton[] {
  return [
    { label: 'Apply', command: `/proposals apply ${proposal.id}` },
    { label: 'Reject', command: `/proposals reject ${proposal.id}` },
  ];
}

/**
 * One page of the proposals waiting, oldest first, each with its age and, where it can no longer be applied
 * (its skill changed or went meanwhile), why: such a one is for rejecting, not reading.
 */
function listPending(proposals: ProposalStore, page: number, now: number): string {
  const pending = proposals.pending();
  if (pending.length === 0) return 'No skill changes are waiting for review.';
  const pages = Math.ceil(pending.length / PROPOSALS_PER_PAGE);
  if (page > pages) return `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of proposals waiting (${pending.length}). Send /proposals for the first.`;
  const first = (page - 1) * PROPOSALS_PER_PAGE;
  const shown = pending.slice(first, first + PROPOSALS_PER_PAGE);
  const lines = shown.map((p) => {
    const blocked = proposals.wontApply(p);
    const what = `#${p.id} ${p.change.action === 'create' ? 'new skill' : 'change to'} ${p.change.name} (${age(now - p.createdAt)})`;
    return blocked ? `${what}: can no longer be applied, ${blocked}; reject it.` : `${what}: ${oneLine(p.change.reason, 160)}`;
  });
  const range = pages === 1 ? `${pending.length}` : `${first + 1}–${first + shown.length} of ${pending.length}, oldest first`;
  const next = page < pages ? [`Send /proposals page ${page + 1} for the next ${Math.min(PROPOSALS_PER_PAGE, pending.length - first - shown.length)}.`] : [];
  return [`Skill changes waiting for review (${range}):`, ...lines, '', ...next, 'Send /proposals show <id> to read one, then apply or reject it.'].join('\n');
}

/** How long ago a proposal was made, in days once it is a day old. */
function age(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  return days < 1 ? 'today' : days === 1 ? 'yesterday' : `${days} days ago`;
}

function shown(text: string): string {
  const block = text.length <= SHOWN_CHARS ? text : `${headOf(text, SHOWN_CHARS)}…`;
  return `\`\`\`\n${block.replace(/```/g, "'''")}\n\`\`\``;
}

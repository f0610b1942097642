/**
 * What reflection is told of the skill changes admins rejected: before it proposes a change to a skill (or a
 * new skill of a name) whose earlier proposals were rejected, the newest few and why, so the same change is
 * not proposed (and posted to the admins) again each time a task of that kind comes back.
 */
import { oneLine } from '../core/text.js';
import type { Proposal, ProposalStore } from './proposals.js';
import type { SkillChange } from './reflection-schema.js';

/** Rejections told per skill name: the newest few say what the admins will not have. */
export const REJECTIONS_TOLD = 3;
/** How much of a rejected change's text, and of its reason, is told: enough to recognise it, not to copy it. */
const CHANGE_CHARS = 160;
const REASON_CHARS = 240;

/** The newest rejections for `name` as lines for the reflector; undefined when none was rejected. */
export function rejectionsOf(proposals: ProposalStore, name: string): string | undefined {
  const rejected = proposals.rejectedFor(name, REJECTIONS_TOLD);
  if (rejected.length === 0) return undefined;
  return [`An admin rejected these earlier proposals for "${name}" (newest first). Do not propose them again; propose a different change only where it answers the reason, or none:`, ...rejected.map(rejectionItem)].join('\n');
}

/** A rejected proposal `change` would repeat word for word (the same new skill, or the same find and replace), if any. */
export function repeatedRejection(proposals: ProposalStore, change: Exclude<SkillChange, { action: 'none' }>): Proposal | undefined {
  return proposals.rejectedFor(change.name, REJECTIONS_TOLD).find(({ change: other }) => {
    if (change.action === 'create') return other.action === 'create' && other.body.trim() === change.body.trim() && other.description.trim() === change.description.trim();
    return other.action === 'patch' && other.find === change.find && other.replace === change.replace;
  });
}

function rejectionItem(proposal: Proposal): string {
  const { change } = proposal;
  const what =
    change.action === 'create'
      ? `a new skill "${change.name}": ${oneLine(change.description, CHANGE_CHARS)}`
      : `replace "${oneLine(change.find, CHANGE_CHARS)}" with "${oneLine(change.replace, CHANGE_CHARS)}"`;
  const why = proposal.decisionNote === undefined ? 'no reason given' : `"${oneLine(proposal.decisionNote, REASON_CHARS)}"`;
  return `- #${proposal.id}, ${what} (proposed because: ${oneLine(change.reason, CHANGE_CHARS)}). Rejected: ${why}.`;
}

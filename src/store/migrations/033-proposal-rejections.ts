/**
 * Who settled a skill proposal and what they said: `decided_by` (the platform user id, or `cli` for
 * `cairn skills reject`), `decided_by_name` (as the platform names them) and `decision_note` (the reason
 * given with `/proposals reject <id> <why>` or `cairn skills reject <id> --reason`), as migration 029 keeps
 * them for held commands. Reflection reads a skill's recent rejections (the index) so it does not propose
 * the same change again. Proposals settled before this migration have none of the three.
 */
export const sql = /* sql */ `
ALTER TABLE skill_proposals ADD COLUMN decided_by TEXT;
ALTER TABLE skill_proposals ADD COLUMN decided_by_name TEXT;
ALTER TABLE skill_proposals ADD COLUMN decision_note TEXT;
CREATE INDEX skill_proposals_rejected ON skill_proposals (skill, id) WHERE status = 'rejected';
`;

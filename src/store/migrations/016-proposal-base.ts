/**
 * A skill proposal remembers the skill it was written against: the version number (for people
 * to read) and the text's hash (what applying it checks). A patch written against text that
 * has changed since (another proposal applied, a person's edit) is not applied on top of it.
 * Proposals made before this migration have neither; applying them falls back to their age.
 */
export const sql = /* sql */ `
ALTER TABLE skill_proposals ADD COLUMN base_version INTEGER;
ALTER TABLE skill_proposals ADD COLUMN base_hash TEXT;
`;

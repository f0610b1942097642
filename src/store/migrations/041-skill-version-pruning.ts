/**
 * Pruning old skill versions' texts (skills/version-pruning.ts). Every version held the full SKILL.md for
 * good: a year of a learning loop refining skills weekly is ~150 MB for 300 skills. A pruned version keeps
 * its row (number, action, author, reason, hash, time: `cairn skills history` still lists it, audits and
 * tasks still name it, and `skill_uses`' foreign key still holds) with its text emptied and
 * `text_pruned_at` saying when.
 *
 * `skill_versions_for_pruning`: what deciding which texts to keep reads (each skill's numbers, actions,
 * hashes, times), so the daily sweep never reads the texts themselves. The hash follows the text in the
 * row, and SQLite walks a row's overflow pages to reach a column past a 10 KB text (as migration 031 found
 * for tasks): without it a sweep of 15,000 versions read all 150 MB (`npm run bench skill-versions`).
 */
export const sql = /* sql */ `
ALTER TABLE skill_versions ADD COLUMN text_pruned_at INTEGER;
CREATE INDEX skill_versions_for_pruning ON skill_versions(name, version, action, hash, created_at, text_pruned_at);
`;

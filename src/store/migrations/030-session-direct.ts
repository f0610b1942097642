/**
 * `sessions.is_direct`: whether the session's conversation is a direct chat (1) or a group (0), as
 * the message that started it said. Condensing a group session into notes shows the aux model only
 * the speaker's notes learned in that group (notes/extraction.ts): what was told in private must
 * not be copied into a note the group can recall. NULL: a session started before this column, read
 * by its conversation id (notes/places.ts, `looksDirect`).
 */
export const sql = /* sql */ `
ALTER TABLE sessions ADD COLUMN is_direct INTEGER;
`;

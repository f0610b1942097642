/**
 * `attachments.admins_only`: a kept file only the conversation's admins find (an image an admin-only MCP tool
 * returned, whose text result the others do not see either): a member of the group who guessed its number could
 * have had it described by look_at_image.
 */
export const sql = /* sql */ `
ALTER TABLE attachments ADD COLUMN admins_only INTEGER NOT NULL DEFAULT 0;
`;

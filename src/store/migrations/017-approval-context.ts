/**
 * An approval request records what the admin was shown besides the command: the script fed on
 * standard input (`bash`, with `rm -rf ~` on stdin), the directory it was to run in, and the
 * part that made Cairn ask (seen even when the command was cut). Requests made before have none.
 */
export const sql = /* sql */ `
ALTER TABLE command_approvals ADD COLUMN stdin TEXT;
ALTER TABLE command_approvals ADD COLUMN cwd TEXT;
ALTER TABLE command_approvals ADD COLUMN matched TEXT;
`;

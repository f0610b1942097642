/**
 * A held command asked in the admin channel by a process that cannot post there (a piped `cairn chat`):
 * `admin_posts.approval_id` names it, so the `cairn start` that sends the post gives it Approve and Deny
 * buttons and may settle it, and the process that waits reads the decision back from the database.
 * `command_approvals.decided_by_name` and `decision_note` keep who decided (as the platform names them)
 * and the reason an admin gave (`/deny <id> <why>`), for whoever waits in another process.
 */
export const sql = /* sql */ `
ALTER TABLE admin_posts ADD COLUMN approval_id TEXT;
CREATE INDEX admin_posts_by_approval ON admin_posts (approval_id) WHERE approval_id IS NOT NULL;
ALTER TABLE command_approvals ADD COLUMN decided_by_name TEXT;
ALTER TABLE command_approvals ADD COLUMN decision_note TEXT;
`;

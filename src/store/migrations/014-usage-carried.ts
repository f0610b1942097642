/**
 * Usage an account carries when it leaves a linked person (`/unlink`): the person's spending
 * that day, counted again for the account that left, so linking and unlinking does not hand
 * out a fresh daily allowance. Apart from model_calls, so no report counts it twice.
 */
export const sql = /* sql */ `
CREATE TABLE usage_carried (
  user_key TEXT NOT NULL,
  at INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  cost_usd REAL
);
CREATE INDEX usage_carried_by_user ON usage_carried(user_key, at);
`;

/** Model calls name the person a turn was for, so each person's daily allowance can be counted. */
export const sql = /* sql */ `
ALTER TABLE model_calls ADD COLUMN user_key TEXT;
CREATE INDEX model_calls_by_user ON model_calls(user_key, at) WHERE user_key IS NOT NULL;
`;

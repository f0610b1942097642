/**
 * Usage an account carries when it leaves a linked person (`/unlink`), kept as the calls it
 * carries rather than as a copied sum (014): when the account and that person become one again,
 * or a call moves to another key, each call is still counted once, and no carried spending is
 * lost. Rows of 014 (sums whose source is unknown) are still counted, for the day they were carried.
 */
export const sql = /* sql */ `
CREATE TABLE usage_carried_calls (
  user_key TEXT NOT NULL,
  call_id INTEGER NOT NULL REFERENCES model_calls(id) ON DELETE CASCADE,
  PRIMARY KEY (user_key, call_id)
) WITHOUT ROWID;
CREATE INDEX usage_carried_calls_by_call ON usage_carried_calls(call_id);
`;

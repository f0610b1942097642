/** The model a conversation was switched to with `/model`, kept for its later sessions too. */
export const sql = /* sql */ `
CREATE TABLE conversation_models (
  conversation_id  TEXT PRIMARY KEY,
  model            TEXT NOT NULL,
  set_by           TEXT NOT NULL,
  set_at           INTEGER NOT NULL
) WITHOUT ROWID;
`;

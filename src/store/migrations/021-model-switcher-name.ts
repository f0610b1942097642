/**
 * The name of whoever switched a conversation's model with `/model`, as the platform gave it:
 * `/model` showed the switch as made by an internal id (`slack:T0123:U0456`), which nobody in the
 * chat could tell apart. Rows from before keep showing the id.
 */
export const sql = /* sql */ `
ALTER TABLE conversation_models ADD COLUMN set_by_name TEXT;
`;

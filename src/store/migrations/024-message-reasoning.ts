/**
 * `messages.reasoning`: a thinking model's reasoning behind a tool-calling assistant message
 * (JSON: endpoint, field, text). DeepSeek's and Kimi's thinking models refuse a conversation
 * whose earlier tool calls come back without it, so it is kept with the session (see
 * model/reasoning.ts).
 */
export const sql = /* sql */ `
ALTER TABLE messages ADD COLUMN reasoning TEXT;
`;

/**
 * What condensing a session into notes needs to do it once and to the right person.
 *
 * `notes_claimed_by`/`notes_claimed_at`: which process is condensing the session. `cairn chat`
 * beside `cairn start` resumed every pending session, including the one the bot was condensing,
 * and both wrote notes; now a process claims the session (one UPDATE … WHERE unclaimed or stale)
 * before it asks the model, and only the claim's holder may mark it done.
 *
 * `messages.said`: the sender's own words, where the stored content adds context before them (the
 * message they replied to, what others said earlier in the thread). The model needs that context;
 * extraction must not read another member's words there as the sender's.
 */
export const sql = /* sql */ `
ALTER TABLE sessions ADD COLUMN notes_claimed_by TEXT;
ALTER TABLE sessions ADD COLUMN notes_claimed_at INTEGER;
ALTER TABLE messages ADD COLUMN said TEXT;
`;

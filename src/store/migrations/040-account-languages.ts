/**
 * `account_languages`: the language each platform account's chat app is set to, as the platform gives it
 * (Telegram's `language_code`, Slack's users.info `locale`, Discord's interaction `locale`), a BCP 47 tag.
 * Kept by account, not person: it is a setting of the app on that platform (a person's Telegram may be in
 * Portuguese and their Slack in English), and a scheduled run, which carries no platform's word, is told
 * the language of the account that set it. Discord gives it only with interactions, so it is remembered
 * for that account's plain messages too.
 */
export const sql = /* sql */ `
CREATE TABLE account_languages (
  account     TEXT PRIMARY KEY,
  language    TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
`;

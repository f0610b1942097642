/**
 * The language each person's chat app is set to, as their platform says: Telegram's `from.language_code`,
 * Slack's users.info `locale` (asked with include_locale), Discord's interaction `locale`. A Portuguese
 * user's photo with no caption, a bare "@Cairn" under an English thread, or a scheduled run was answered in
 * English: nothing told the model what language they read. The model is told where it matters (prompt.ts
 * here); the words they write still decide, as they always did.
 *
 * Kept by platform account (see migration 040), so a scheduled run, which carries no platform's word, has
 * the language of the account that set it, and a Discord account (whose plain messages carry none) has the
 * one its last interaction gave.
 */
import type { Db } from '../store/db.js';
import type { InboundMessage } from '../core/message.js';

/** The longest tag kept: BCP 47 tags people's apps use are a few characters (`pt-BR`, `zh-Hant-TW`). */
const LONGEST_TAG = 35;

export class AccountLanguages {
  private readonly statements;

  constructor(
    db: Db,
    private readonly now: () => number,
  ) {
    this.statements = {
      get: db.prepare<[string], { language: string }>('SELECT language FROM account_languages WHERE account = ?'),
      set: db.prepare<{ account: string; language: string; at: number }>(
        'INSERT INTO account_languages (account, language, updated_at) VALUES (@account, @language, @at) ON CONFLICT (account) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at',
      ),
    };
  }

  /** The language the account's app was last seen set to; undefined when no platform said. */
  of(account: string): string | undefined {
    return this.statements.get.get(account)?.language;
  }

  /**
   * The language of a message's sender: the one the platform gave with it (remembered when it changed,
   * people switch their app's language), else the one remembered for their account.
   */
  forMessage(message: Pick<InboundMessage, 'identity' | 'userId' | 'language'>): string | undefined {
    const account = message.identity ?? message.userId;
    const given = languageTag(message.language);
    const known = this.of(account);
    if (given === undefined) return known;
    if (given !== known) this.statements.set.run({ account, language: given, at: this.now() });
    return given;
  }
}

/**
 * A platform's language setting as a canonical BCP 47 tag (Telegram sends `pt-br`, some clients `pt_BR`), or
 * undefined for none, one Intl cannot read, or `und`.
 */
export function languageTag(given: string | undefined): string | undefined {
  const tag = given?.trim().replace(/_/g, '-');
  if (!tag || tag.length > LONGEST_TAG) return undefined;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical && canonical !== 'und' ? canonical : undefined;
  } catch {
    return undefined;
  }
}

const NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

/**
 * `Brazilian Portuguese` for pt-BR, `Turkish` for tr: what the model is told, in English as the rest of the
 * prompt. Undefined for English (the model's own default: nothing to say) and for a tag Intl has no name for.
 */
export function languageName(tag: string): string | undefined {
  if (/^en(?:-|$)/i.test(tag)) return undefined;
  let name: string | undefined;
  try {
    name = NAMES.of(tag);
  } catch {
    return undefined;
  }
  return name && name.toLowerCase() !== tag.toLowerCase() ? name : undefined;
}

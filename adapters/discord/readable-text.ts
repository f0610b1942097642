/**
 * Discord's markup for mentions, channels, custom emoji and timestamps, as words the model
 * can read. Discord shows `<@400…>` as "@Bob" and `<t:1700000000:F>` as a date in the
 * reader's time zone; the model would see only the numbers, and could not tell whom or
 * what a message is about.
 */
import { FormattingPatterns, cleanContent, type TextBasedChannel } from 'discord.js';

/** The patterns, global (discord.js's match one occurrence). */
const USER = new RegExp(FormattingPatterns.UserWithOptionalNickname.source, 'g');
const ROLE = new RegExp(FormattingPatterns.Role.source, 'g');
const CHANNEL = new RegExp(FormattingPatterns.Channel.source, 'g');
const EMOJI = new RegExp(FormattingPatterns.Emoji.source, 'g');
const TIMESTAMP = new RegExp(FormattingPatterns.Timestamp.source, 'g');
/** Styles that show only the date (`d`: 11/14/2023, `D`: November 14, 2023); the others show a time too. */
const DATE_ONLY_STYLES = new Set(['d', 'D']);

/**
 * `text` with every mention as `@Name`, role as `@role`, channel as `#channel`, custom emoji as
 * `:name:` and timestamp as an ISO date or date and time in UTC. Names come from what
 * discord.js knows (the message's mentions are in its caches), then from `mentioned` (users a
 * message read over REST names); one known to neither says it is unknown, as Discord shows it.
 */
export function readableText(text: string, channel: TextBasedChannel | null | undefined, mentioned: ReadonlyMap<string, string> = new Map()): string {
  if (!text.includes('<')) return text;
  const named = channel ? cleanContent(text, channel) : text;
  return named
    .replace(USER, (_, id: string) => `@${mentioned.get(id) ?? 'unknown-user'}`)
    .replace(ROLE, '@unknown-role')
    .replace(CHANNEL, '#unknown-channel')
    .replace(EMOJI, (_, _animated: string | undefined, name: string) => `:${name}:`)
    .replace(TIMESTAMP, (match, seconds: string, _styled: string | undefined, style: string | undefined) => timestampText(Number(seconds), style) ?? match);
}

/** `2023-11-14T22:13:20Z`, or `2023-11-14` for a date-only style; undefined for a time out of range. */
function timestampText(seconds: number, style: string | undefined): string | undefined {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return style && DATE_ONLY_STYLES.has(style) ? iso.slice(0, 10) : iso;
}

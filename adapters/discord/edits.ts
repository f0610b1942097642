/**
 * A message its sender edits after sending it on Discord (a typo fixed, "I meant 2024, not 2023"), answered as on
 * Telegram and Slack (src/core/edited-messages.ts). Without it a correction was never seen (no messageUpdate
 * listener), and a mention added by editing was never answered.
 *
 * Discord also sends an update when nothing was edited: a link's embed loading, a thread started on the message.
 * Those carry no new edit stamp (`editedTimestamp` null, or the last edit's again), so an update counts only with
 * an edit stamp and words (or a mention) that differ from those this process saw; each edit's id carries its
 * stamp, so an embed loading after an edit is the same edit again, which the gateway's dedupe (kept in the
 * database, across restarts) drops. An edit of a message from before a restart is answered without the earlier
 * words: the session's history holds them.
 */
import type { Message } from 'discord.js';
import type { InboundMessage } from '../../src/core/message.js';
import type { EditedMessages } from '../../src/core/edited-messages.js';

/** The edit an update tells of, as a message of its own; undefined for an update that edited nothing. */
export function editOf(edits: EditedMessages, updated: Message, now: InboundMessage | undefined): InboundMessage | undefined {
  const editedAt = updated.editedTimestamp;
  if (!now || !editedAt) return undefined;
  const edit = edits.edited(now, `${now.messageId}:edit:${editedAt}`);
  return edit && { ...edit, receivedAt: new Date(editedAt) };
}

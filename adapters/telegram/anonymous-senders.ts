/**
 * Messages posted in a chat's name. An anonymous group admin posts as the group (the sender
 * shows as @GroupAnonymousBot, sender_chat is the group); anyone may post in a group as a
 * channel they own ("Send as", sender_chat is the channel). Telegram hides the person behind
 * both, so Cairn cannot tell whether they are allowed, and such a message never reaches the
 * core: the stand-in sender is shared by every anonymous admin of every group, so allowing or
 * pairing it would let them all in. Silence looks broken, though: a message that speaks to
 * Cairn gets a hint saying how to be recognised. Channel posts Telegram copies into the
 * channel's discussion group (is_automatic_forward) were written to the channel's readers,
 * not to Cairn: they are dropped without a word.
 */
import type { Api } from 'grammy';
import { z } from 'zod';
import type { InboundMessage } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';

export const ANONYMOUS_ADMIN_HINT = "I can't tell who you are while you post as the group (anonymous admin). Turn off 'Remain anonymous' in your admin rights to talk to me.";
export const CHANNEL_HINT = "I can't tell who you are while you post as a channel. Choose your own account under 'Send as' to talk to me.";

/** Albums whose hint went out are remembered, so an album answers once; a few suffice. */
const REMEMBERED_ALBUMS = 100;

const sentAsChatSchema = z.object({
  message_id: z.number(),
  chat: z.object({ id: z.number() }),
  sender_chat: z.object({ id: z.number() }),
  is_automatic_forward: z.boolean().optional(),
  media_group_id: z.string().optional(),
  message_thread_id: z.number().optional(),
  is_topic_message: z.boolean().optional(),
});
type SentAsChat = z.infer<typeof sentAsChatSchema>;

export interface AnonymousSendersDeps {
  api: Api;
  /** Makes a Bot API call with the adapter's retries. */
  call<T>(operation: () => Promise<T>): Promise<T>;
  /** Whether a command name is one of Cairn's: a bare `/help` in a group speaks to Cairn too. */
  isCommand(name: string): boolean;
  logger: Logger;
}

export class AnonymousSenders {
  private readonly hintedAlbums = new Set<string>();

  constructor(private readonly deps: AnonymousSendersDeps) {}

  /**
   * True when `raw` was posted in a chat's name: the adapter hands it to no one. The hint has
   * been sent (not awaited) when `message`, its normalized form, speaks to Cairn.
   */
  intercept(raw: unknown, message: InboundMessage | undefined): boolean {
    const parsed = sentAsChatSchema.safeParse(raw);
    if (!parsed.success) return false;
    const sent = parsed.data;
    const asGroup = sent.sender_chat.id === sent.chat.id;
    this.deps.logger.debug({ chatId: sent.chat.id, messageId: sent.message_id, asGroup }, 'Telegram message posted in a chat’s name not handled');
    if (sent.is_automatic_forward || !message || !this.speaksToCairn(message) || !this.firstOfAlbum(sent)) return true;
    void this.hint(sent, asGroup ? ANONYMOUS_ADMIN_HINT : CHANNEL_HINT);
    return true;
  }

  /** Mentions Cairn, replies to it, or is a command of Cairn's (the gateway's test for group messages). */
  private speaksToCairn(message: InboundMessage): boolean {
    return message.addressed || (message.command !== undefined && this.deps.isCommand(message.command.name));
  }

  /** Each photo of an album replying to Cairn arrives as a message of its own: one hint for them all. */
  private firstOfAlbum(sent: SentAsChat): boolean {
    if (sent.media_group_id === undefined) return true;
    const album = `${sent.chat.id}:${sent.media_group_id}`;
    if (this.hintedAlbums.has(album)) return false;
    this.hintedAlbums.add(album);
    if (this.hintedAlbums.size > REMEMBERED_ALBUMS) this.hintedAlbums.delete(this.hintedAlbums.values().next().value as string);
    return true;
  }

  /** Plain text quoting the message, in its forum topic; a failure is logged (nobody waits on it). */
  private async hint(sent: SentAsChat, text: string): Promise<void> {
    const topic = sent.is_topic_message && sent.message_thread_id !== undefined ? { message_thread_id: sent.message_thread_id } : {};
    try {
      await this.deps.call(() => this.deps.api.sendMessage(sent.chat.id, text, { ...topic, reply_parameters: { message_id: sent.message_id, allow_sending_without_reply: true } }));
    } catch (error) {
      this.deps.logger.warn({ chatId: sent.chat.id, err: describeError(error) }, 'Telegram hint to a message posted in a chat’s name not sent');
    }
  }
}

/**
 * Cairn's messages in Discord channels (not interaction answers): posted with their files
 * and buttons, or put into a streamed draft, with the fallbacks Discord makes necessary: a
 * reply refused for want of Read Message History goes as a plain message (and so does every
 * later one in that channel), content Discord refuses is sent escaped.
 */
import { MessageFlags, Routes, type Client, type REST } from 'discord.js';
import type { OutboundFile } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError, type CairnError } from '../../src/core/errors.js';
import { attemptDiscordOnce, isMarkupRejection, isReplyRefused } from './errors.js';
import { PLATFORM } from './normalize.js';
import { plainParts, type ActionRow } from './render.js';
import { idOf, newNonce } from './draft-messages.js';

/** Mentions in replies never ping anyone: the model's text could contain @everyone. */
export const NO_PINGS = { parse: [] as never[] };

/**
 * Every message Cairn posts or edits shows no link previews (as Slack's unfurl_links: false and Telegram's
 * disabled previews): Discord's crawler would otherwise fetch each link the model wrote the moment it is
 * posted, one steered into carrying data (https://evil.example/?d=<secret>) included, without a click.
 * An edit sends it again: an edit's flags replace the message's, and SuppressEmbeds is the only one Cairn's have.
 */
export const SUPPRESS_EMBEDS: MessageFlags.SuppressEmbeds = MessageFlags.SuppressEmbeds;

export interface ChannelMessagesDeps {
  client: Client;
  /** The REST client for messages with files, with time for the upload. */
  uploads: REST;
  call: <T>(operation: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

export class ChannelMessages {
  /** Channels where the bot may not read the history: Discord refuses replies (message_reference) there. */
  private readonly repliesRefused = new Set<string>();

  constructor(private readonly deps: ChannelMessagesDeps) {}

  /** In guild channels the first part answers the question it replies to (a message: a reaction's id is none, and Discord refuses it). */
  reference(conversationId: string, replyTo: string | undefined, channelId: string): Record<string, unknown> {
    const inGuild = !conversationId.startsWith(`${PLATFORM}:dm:`);
    // Where the bot may not read the history, Discord refuses replies: plain messages go there.
    if (!inGuild || this.repliesRefused.has(channelId)) return {};
    // An edit's answer replies to the message edited (its id is `<message id>:edit:<when>`, edits.ts).
    const messageId = replyTo?.replace(/:edit:\d+$/, '');
    return messageId && /^\d+$/.test(messageId) ? { message_reference: { message_id: messageId, fail_if_not_exists: false } } : {};
  }

  /** A streamed draft's first post, one attempt (and one more as a plain message where replies are refused). */
  async postDraft(conversationId: string, channelId: string, content: string, replyTo: string | undefined, nonce: string): Promise<string | undefined> {
    const enforced = { nonce, enforce_nonce: true };
    const post = () => attemptDiscordOnce(() => this.deps.client.rest.post(Routes.channelMessages(channelId), { body: { content, allowed_mentions: NO_PINGS, flags: SUPPRESS_EMBEDS, ...enforced, ...this.reference(conversationId, replyTo, channelId) } }));
    return idOf(await post().catch((error: CairnError) => (this.noteRefusedReply(error, channelId) ? post() : Promise.reject(error))));
  }

  /**
   * Posts a message, with files if any, or puts it into message `into` (a streamed draft;
   * posted anew when that is gone). Resolves with its id (the last part's when it had to be
   * escaped and split, which carries the files).
   */
  async post(channelId: string, content: string, extra: Record<string, unknown>, files: OutboundFile[] = [], into?: string, components?: ActionRow[]): Promise<string | undefined> {
    const uploads = files.map((file) => ({ name: file.name, data: Buffer.from(file.bytes) }));
    const attempt = async (body: string, withFiles: boolean, edit: string | undefined, nonce: string) => {
      // A new message carries a nonce Discord enforces: a retry of one that arrived though its answer did not (a timeout) is not posted twice.
      const options = { body: { content: body, allowed_mentions: NO_PINGS, flags: SUPPRESS_EMBEDS, ...(edit ? {} : { ...extra, nonce, enforce_nonce: true }), ...(withFiles && components ? { components } : {}) }, ...(withFiles && uploads.length > 0 ? { files: uploads } : {}) };
      const rest = 'files' in options ? this.deps.uploads : this.deps.client.rest;
      return idOf(await (edit ? rest.patch(Routes.channelMessage(channelId, edit), options) : rest.post(Routes.channelMessages(channelId), options)));
    };
    const send = (body: string, withFiles: boolean, edit: string | undefined) => {
      const nonce = newNonce();
      return this.deps.call(() => attempt(body, withFiles, edit, nonce));
    };
    try {
      return await send(content, true, into);
    } catch (error) {
      if (this.noteRefusedReply(error as CairnError, channelId) && 'message_reference' in extra) {
        const { message_reference: _, ...plainMessage } = extra;
        return this.post(channelId, content, plainMessage, files, into, components);
      }
      if (into && !isMarkupRejection(error as CairnError)) {
        this.deps.logger.warn({ channelId, err: describeError(error) }, 'Discord draft could not be replaced by the answer; posting it as a new message');
        return this.post(channelId, content, extra, files, undefined, components);
      }
      if (!isMarkupRejection(error as CairnError)) throw error;
      this.deps.logger.warn({ channelId }, 'Discord refused the message content; sending it escaped');
      let last: string | undefined;
      const plain = plainParts(content);
      for (const [index, piece] of plain.entries()) last = await send(piece, index === plain.length - 1, index === 0 ? into : undefined);
      return last;
    }
  }

  /** True when Discord refused a reply for want of Read Message History: the channel gets plain messages from now on. */
  private noteRefusedReply(error: CairnError, channelId: string): boolean {
    if (!isReplyRefused(error)) return false;
    if (!this.repliesRefused.has(channelId)) this.deps.logger.warn({ channelId }, 'Discord: no Read Message History in this channel, so answers there are not replies');
    this.repliesRefused.add(channelId);
    return true;
  }
}

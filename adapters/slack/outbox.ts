/**
 * How Cairn's replies go out to Slack: split and rendered (render.ts), posted with the Web API
 * or through a slash command's response_url, into a streamed draft where one shows the answer
 * coming, as plain text where Slack refuses the formatting, and files shared (uploads.ts).
 */
import type { RespondFn, webApi } from '@slack/bolt';
import type { OutboundFile, ReplyButton } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { attemptOnce } from '../../src/core/retry.js';
import type { SentReplies, SentReply } from '../../src/core/sent-replies.js';
import { isMarkupRejection, isTooLong, mapSlackError, slackErrorCode } from './errors.js';
import type { InFlight } from './in-flight.js';
import { directChatWith, shareFiles, type Uploader } from './uploads.js';
import { whereTo } from './where-to.js';
import { parseConversationId, type ReplyTarget } from './normalize.js';
import { MESSAGE_LIMIT, SAFE_PLAIN_LIMIT, plainParts, renderMessages, toMrkdwn, withButtons, type OutgoingMessage } from './render.js';

/** The longest text sent as the comment of shared files; a longer one is a message of its own. */
const COMMENT_LIMIT = 3_000;
/** Said, to the asker alone, where files went that were asked for in a DM of others. */
const FILES_SENT_TO_ASKER = 'I sent the files to your direct chat with me: shared here, the other person would see them too.';
/** Said first, to the asker alone, where Slack refused the answer in a channel Cairn is no member of. */
const NOT_A_MEMBER = 'Only you can see this: I am not a member of this channel, so I could not answer in its thread. To have me answer there, add me to the channel (`/invite` and my name).';
/** What Slack answers a post in a channel the bot has not joined (a private one: not found). */
const NOT_A_MEMBER_ERRORS = new Set(['not_in_channel', 'channel_not_found']);

/** A message Cairn posted, to update later. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface OutboxDeps {
  client: InstanceType<typeof webApi.WebClient>;
  logger: Logger;
  /** The adapter's retried call. */
  call<T>(operation: () => Promise<T>): Promise<T>;
  /** Cairn's own replies by `channel:ts` (for feedback by reaction). */
  replies: SentReplies;
  uploader: Uploader;
}

/** Whether a message is answered through its response_url (a slash command, a private answer) rather than posted. */
function answersPrivately(entry: InFlight | undefined): boolean {
  return entry?.respond !== undefined && !entry.target.privatelyIfRefused;
}

/** One attempt, its failure mapped (draft updates are not retried). */
export function once<T>(operation: () => Promise<T>): Promise<T> {
  return attemptOnce(operation, mapSlackError);
}

export class SlackOutbox {
  /** Messages whose answer went private since Cairn is no member of their channel, not yet told so. */
  private readonly toTell = new WeakSet<InFlight>();

  constructor(private readonly deps: OutboxDeps) {}

  /** chat.update with the new text's blocks, so the actions block (the buttons) is gone. */
  async edit(sent: string, text: string): Promise<void> {
    const { client, call } = this.deps;
    const [channel = '', ts = ''] = sent.split(':');
    const [message] = renderMessages(text);
    if (!message) return;
    try {
      await call(() => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }));
    } catch (error) {
      if (!isMarkupRejection(error)) throw error;
      // blocks: [] clears the formatted ones, the buttons with them.
      await call(() => client.chat.update({ channel, ts, text: plainParts(message.plain, MESSAGE_LIMIT)[0] ?? '', blocks: [] }));
    }
  }

  /** A streamed draft, in the thread the answer goes to; none for a slash command (its response_url cannot be edited). One attempt. */
  async postDraft(conversationId: string, text: string, entry: InFlight | undefined): Promise<PostedMessage | undefined> {
    const [message] = renderMessages(text);
    if (answersPrivately(entry) || !message) return undefined;
    const { channel, threadTs } = whereTo(conversationId, entry);
    try {
      const posted = await once(() => this.deps.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}) }));
      return typeof posted.ts === 'string' ? { channel: posted.channel ?? channel, ts: posted.ts } : undefined;
    } catch (error) {
      if (this.goesPrivate(error, entry)) return undefined;
      throw error;
    }
  }

  async editDraft(draft: PostedMessage, text: string): Promise<void> {
    const [message] = renderMessages(text);
    if (message) await once(() => this.deps.client.chat.update({ channel: draft.channel, ts: draft.ts, text: message.text, blocks: message.blocks }));
  }

  /**
   * Shares files in the conversation (see uploads.ts), a short text as their comment. A slash
   * command's response_url takes no files: they go to its channel; those of a conversation only
   * its asker sees, to the asker's own DM with Cairn, and the asker is told there where they went.
   */
  async upload(conversationId: string, text: string, files: OutboundFile[], entry: InFlight | undefined): Promise<void> {
    const { uploader } = this.deps;
    const { asker } = parseConversationId(conversationId);
    const { channel, threadTs } = asker ? { channel: await directChatWith(uploader, asker), threadTs: undefined } : whereTo(conversationId, entry);
    const comment = text.trim();
    // A comment is mrkdwn within one message, escaped like any reply (no <!channel> ping); a longer text goes before the files as a reply of its own (the asker's: in their DM too).
    const inline = comment.length <= COMMENT_LIMIT ? toMrkdwn(comment) : '';
    if (comment !== '' && inline === '') await this.post(conversationId, text, asker ? undefined : entry, undefined, [], entry?.messageId);
    const [first, ...rest] = files;
    if (first) await shareFiles(uploader, { channel, threadTs, comment: inline, files: [first, ...rest] });
    if (asker && entry?.respond) await this.post(conversationId, FILES_SENT_TO_ASKER, entry);
  }

  /** Posts the text, split and rendered, its first message into `draft` when one streamed it (slash commands: their response_url); resolves with the last message that went out formatted through the Web API (the one with the buttons). */
  async post(conversationId: string, text: string, entry: InFlight | undefined, draft?: PostedMessage, buttons: readonly ReplyButton[] = [], answered = entry?.messageId): Promise<PostedMessage | undefined> {
    const { channel, threadTs } = whereTo(conversationId, entry);
    const tell = entry !== undefined && this.toTell.delete(entry);
    const messages = renderMessages(tell ? `${NOT_A_MEMBER}\n\n${text}` : text);
    let last: PostedMessage | undefined;
    // The buttons go under the last message, after everything they are about.
    for (const [index, rendered] of messages.entries()) {
      const message = index === messages.length - 1 ? withButtons(rendered, buttons) : rendered;
      if (entry?.respond && answersPrivately(entry)) {
        await this.respondWith(entry.respond, message, channel, threadTs, entry.target);
        continue;
      }
      try {
        last = await this.postMessage(channel, threadTs, message, { conversationId, answered }, index === 0 ? draft : undefined);
      } catch (error) {
        // Refused at the first message: all of it goes to the asker alone instead.
        if (index > 0 || !this.goesPrivate(error, entry)) throw error;
        return this.post(conversationId, text, entry, undefined, buttons, answered);
      }
    }
    return last;
  }

  /**
   * Whether the message's answer now goes to its asker alone: Slack refused a post in a channel
   * Cairn is no member of ("Ask Cairn" works in any), and the message came with a response_url.
   * The rest of its turn goes there too, the first of it saying why.
   */
  private goesPrivate(error: unknown, entry: InFlight | undefined): boolean {
    if (!entry?.respond || !entry.target.privatelyIfRefused || !NOT_A_MEMBER_ERRORS.has(slackErrorCode(error) ?? '')) return false;
    this.deps.logger.info({ channel: entry.target.channel }, 'Slack refused a post in a channel Cairn is not in; answering the asker alone');
    entry.target = { ...entry.target, privatelyIfRefused: false, ephemeral: true };
    this.toTell.add(entry);
    return true;
  }

  /** Posts one message, or puts it into `into` (a streamed draft; posted anew when that is gone); resolves with it unless it had to go as plain text. */
  private async postMessage(channel: string, threadTs: string | undefined, message: OutgoingMessage, sentTo?: SentReply, into?: PostedMessage): Promise<PostedMessage | undefined> {
    const { client, call, logger, replies } = this.deps;
    const thread = threadTs ? { thread_ts: threadTs } : {};
    const send = async (body: { text: string; blocks?: OutgoingMessage['blocks']; mrkdwn?: boolean }, edit: PostedMessage | undefined): Promise<{ ts?: string | undefined; channel?: string | undefined }> =>
      edit ? client.chat.update({ channel: edit.channel, ts: edit.ts, ...body }) : client.chat.postMessage({ channel, unfurl_links: false, unfurl_media: false, ...thread, ...body });
    try {
      const posted = await call(() => send({ text: message.text, blocks: message.blocks }, into));
      if (typeof posted.ts !== 'string') return undefined;
      // Posted to a user's id, the message is in their DM with Cairn: Slack's answer names it (reactions and updates name it too).
      const at = into?.channel ?? (typeof posted.channel === 'string' ? posted.channel : channel);
      if (sentTo) replies.remember(`${at}:${posted.ts}`, sentTo.conversationId, sentTo.answered);
      return { channel: at, ts: posted.ts };
    } catch (error) {
      if (into && !isMarkupRejection(error)) {
        logger.warn({ channel, err: describeError(mapSlackError(error)) }, 'Slack draft could not be replaced by the answer; posting it as a new message');
        return this.postMessage(channel, threadTs, message, sentTo);
      }
      if (!isMarkupRejection(error)) throw error;
      logger.warn({ channel, slackError: slackErrorCode(error) }, 'Slack refused the formatted reply; sending it as plain text');
      for (const [index, part] of plainParts(message.plain, isTooLong(error) ? SAFE_PLAIN_LIMIT : MESSAGE_LIMIT).entries()) {
        // Only the first piece goes into the draft; an update with blocks: [] clears the formatted ones.
        await call(() => send({ text: part, mrkdwn: false, ...(index === 0 && into ? { blocks: [] } : {}) }, index === 0 ? into : undefined));
      }
      return undefined;
    }
  }

  private async respondWith(respond: RespondFn, message: OutgoingMessage, channel: string, threadTs: string | undefined, { user, ephemeral }: ReplyTarget): Promise<void> {
    const { call } = this.deps;
    try {
      await call(() => respond({ response_type: ephemeral ? 'ephemeral' : 'in_channel', replace_original: false, text: message.text, blocks: message.blocks }));
    } catch (error) {
      const mapped = mapSlackError(error);
      if (isMarkupRejection(mapped)) {
        for (const part of plainParts(message.plain, SAFE_PLAIN_LIMIT)) await call(() => respond({ response_type: ephemeral ? 'ephemeral' : 'in_channel', replace_original: false, text: part }));
      } else if (mapped.code === 'not_found') {
        // The response_url expired (30 min, 5 uses): post in the channel instead, or, where Cairn is no member
        // (/cairn works in any channel; not_in_channel), in the direct chat of whoever asked; a private answer only there.
        await (ephemeral && user ? this.postMessage(user, undefined, message) : this.postMessage(channel, threadTs, message)).catch((refused: unknown) => {
          if (!user || ephemeral || mapSlackError(refused).code !== 'permission') throw refused;
          return this.postMessage(user, undefined, message);
        });
      } else {
        throw mapped;
      }
    }
  }
}

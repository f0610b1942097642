/**
 * Which DMs are Cairn's own. Slack sends a slash command run in any DM as channel_name
 * "directmessage" with a D… id, a DM between two people (Cairn no member of it) too: an
 * answer there through the response_url, in_channel, is read by the other person. The "Ask
 * Cairn" message shortcut works on a message in any DM too, and Cairn cannot post into one of
 * others (channel_not_found). Only in Cairn's own DM with the person is either direct; in
 * another DM it is answered to the person alone (ephemerally through the response_url, or in
 * their own DM with Cairn where none came) and is no direct chat (no /link code, no pairing).
 * Each person has one conversation of their own there, whichever way they asked: shared, the
 * other person's /cairn export would post the asker's private questions and answers into the
 * DM, and the model would answer one with the other's history. Files for it go to the person's
 * own DM with Cairn (index.ts).
 *
 * Cairn's own DMs are those it has been written to in (message.im events come only from them)
 * and those it can read: conversations.history (im:history) answers channel_not_found for a DM
 * of others. Both are remembered; a refusal is asked again next time.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { PLATFORM, askerOnlyConversationId, parseConversationId, type Normalized } from './normalize.js';

/** Own DMs remembered (`user:channel`); the oldest are forgotten first and looked up again. */
const REMEMBERED_DMS = 10_000;

export interface DirectChatReader {
  client: InstanceType<typeof webApi.WebClient>;
  call<T>(operation: () => Promise<T>): Promise<T>;
  logger: Logger;
}

export class DirectChats {
  private readonly own = new Set<string>();

  constructor(private readonly reader: DirectChatReader) {}

  /** A DM message someone (not Cairn, not a bot) sent: its channel is their DM with Cairn. */
  saw({ message, target }: Normalized): void {
    if (message.isDirect && !message.isSelf && !message.isBot) this.remember(message.senderId, target.channel);
  }

  /**
   * A slash command or "Ask Cairn" as Cairn answers it: direct only in Cairn's own DM with whoever
   * asked, private in another DM. There it is the asker's conversation of the whole DM, not of a
   * thread in it (the answer is in no thread: ephemeral, or in their own DM with Cairn).
   */
  async answered(normalized: Normalized): Promise<Normalized> {
    const { message, target } = normalized;
    if (!message.isDirect || (await this.isOwn(message.senderId, target.channel))) return normalized;
    const { team, channel } = parseConversationId(message.conversationId);
    const { threadTs: _inThread, ...where } = target;
    return {
      message: { ...message, conversationId: askerOnlyConversationId(`${PLATFORM}:${team}:${channel}`, message.senderId), isDirect: false },
      // The asker: where the answer goes once the response_url is gone (or none came).
      target: { ...where, ephemeral: true, user: message.senderId },
    };
  }

  private async isOwn(user: string, channel: string): Promise<boolean> {
    if (this.own.has(`${user}:${channel}`)) return true;
    try {
      await this.reader.call(() => this.reader.client.conversations.history({ channel, limit: 1 }));
    } catch (error) {
      // channel_not_found: a DM of others. Any refusal counts as one: the answer stays private.
      this.reader.logger.debug({ channel, err: describeError(error) }, 'Slack slash command not in Cairn\'s own DM; answering privately');
      return false;
    }
    this.remember(user, channel);
    return true;
  }

  private remember(user: string, channel: string): void {
    const key = `${user}:${channel}`;
    this.own.delete(key);
    this.own.add(key);
    if (this.own.size > REMEMBERED_DMS) this.own.delete(this.own.values().next().value as string);
  }
}

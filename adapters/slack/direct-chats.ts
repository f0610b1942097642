/**
 * Which DMs are Cairn's own. Slack sends a slash command run in any DM as channel_name
 * "directmessage" with a D… id, a DM between two people (Cairn no member of it) too: an
 * answer there through the response_url, in_channel, is read by the other person. Only in
 * Cairn's own DM with the person is the command direct; in another DM it is answered
 * ephemerally, to the person alone, and is no direct chat (no /link code, no pairing). Each
 * person has a conversation of their own there: shared, the other person's /cairn export would
 * post the asker's private questions and answers into the DM, and the model would answer one
 * with the other's history. Files for it go to the person's own DM with Cairn (index.ts).
 *
 * Cairn's own DMs are those it has been written to in (message.im events come only from them)
 * and those it can read: conversations.history (im:history) answers channel_not_found for a DM
 * of others. Both are remembered; a refusal is asked again next time.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { askerOnlyConversationId, type Normalized } from './normalize.js';

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

  /** The slash command as Cairn answers it: direct only in Cairn's own DM with whoever ran it, private in another DM. */
  async slashCommand(normalized: Normalized): Promise<Normalized> {
    const { message, target } = normalized;
    if (!message.isDirect || (await this.isOwn(message.senderId, target.channel))) return normalized;
    return { message: { ...message, conversationId: askerOnlyConversationId(message.conversationId, message.senderId), isDirect: false }, target: { ...target, ephemeral: true } };
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

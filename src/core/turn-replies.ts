/**
 * How the gateway's answers reach the conversation they answer: through the adapter of its
 * platform, as a reply to the message (a scheduled task's answer answers none). A failure to
 * send is logged, since there is no one left to tell; a refused file is said in words.
 *
 * A platform that refuses Cairn's own token on a reply (Slack's token_revoked, Discord's 401)
 * while its events still arrive (Slack's HTTP events, a gateway not yet closed) looked healthy:
 * every answer was lost and /healthz said ok. Such a refusal is kept until a reply goes through,
 * and the platform's health says it (healthWith), as a revoked token found by polling does.
 */
import type { Adapter, AdapterHealth, InboundMessage, OutboundFile, OutboundReply, PostedMessage } from './message.js';
import type { Logger } from './logger.js';
import type { FileSender } from '../tools/registry.js';
import { CairnError, describeError } from './errors.js';

export class TurnReplies {
  /** The last refusal of Cairn's token on a reply, by platform, until a reply goes through. */
  private readonly refusedToken = new Map<string, string>();

  constructor(
    private readonly adapters: ReadonlyMap<string, Adapter>,
    private readonly logger: Logger,
  ) {}

  /** Sends a reply; a failure is logged, since there is no one left to tell. */
  async reply(message: InboundMessage, reply: OutboundReply): Promise<void> {
    if (!this.adapters.has(message.platform)) {
      this.logger.error({ platform: message.platform }, 'no adapter attached for platform; reply dropped');
      return;
    }
    try {
      await this.deliver(message, reply);
      this.refusedToken.delete(message.platform);
      message.scheduled?.delivered?.();
    } catch (error) {
      this.logger.error({ platform: message.platform, conversationId: message.conversationId, err: describeError(error) }, 'sending the reply failed');
      if (error instanceof CairnError && error.code === 'auth' && error.platform === message.platform) this.refusedToken.set(message.platform, error.message);
      // Refused for good (removed from the group, the channel deleted, blocked): a scheduled task must hear it, or it runs for nobody forever.
      if (error instanceof CairnError && (error.code === 'permission' || error.code === 'not_found')) message.scheduled?.refused?.(error);
      if (reply.files?.length) await this.sayFilesRefused(message, reply.files, error);
    }
  }

  /** The adapter's own health, or, while the platform refuses Cairn's token on replies, that: answers are lost until the token is mended. */
  healthWith(platform: string, health: AdapterHealth): AdapterHealth {
    const refused = this.refusedToken.get(platform);
    if (refused === undefined || !health.ok) return health;
    return { ok: false, problem: `Replies are refused: ${refused.replace(/\.?$/, '.')} Set the new token and restart Cairn.` };
  }

  /** Sends into the message's conversation and throws what the platform answered (a tool sending a file reports it). */
  async deliver(message: InboundMessage, reply: OutboundReply): Promise<string | undefined | void> {
    const adapter = this.adapters.get(message.platform);
    if (!adapter) throw new CairnError('unavailable', `No adapter for ${message.platform} is attached.`);
    return adapter.send(message.conversationId, { ...reply, replyTo: replyToOf(message), answers: message.messageId });
  }

  /** send_file's way into the conversation, where the platform takes files. */
  fileSender(message: InboundMessage): FileSender | undefined {
    const maxBytes = this.adapters.get(message.platform)?.capabilities.maxFileBytes;
    if (!maxBytes) return undefined;
    return {
      maxBytes,
      send: async (file: OutboundFile, caption: string) => {
        await this.deliver(message, { text: caption, files: [file] });
      },
    };
  }

  /** A file the platform refused (too big, an app without the scope to upload) is said in words: asking for `/export` got silence. */
  private async sayFilesRefused(message: InboundMessage, files: readonly OutboundFile[], error: unknown): Promise<void> {
    const names = files.map((file) => file.name).join(', ');
    try {
      await this.deliver(message, { text: `The platform refused the file (${names}): ${describeError(error)}` });
    } catch (again) {
      this.logger.warn({ platform: message.platform, conversationId: message.conversationId, err: describeError(again) }, 'saying that the files were refused failed too');
    }
  }
}

/** A message the adapter can change later (send gave a reference, and it edits). */
export function editable(adapter: Adapter | undefined, conversationId: string, sent: string | undefined | void): PostedMessage | undefined {
  if (!adapter?.edit || typeof sent !== 'string') return undefined;
  const edit = adapter.edit.bind(adapter);
  return { edit: (text) => edit(conversationId, sent, text) };
}

/** The platform message a reply answers; a scheduled task's answer answers no message. */
export function replyToOf(message: InboundMessage): string | undefined {
  return message.scheduled ? undefined : message.messageId;
}

/** An in-memory adapter that records what the core sent, for tests of the core. */
import type { Adapter, AdapterCapabilities, InboundMessage, InboundSink, OutboundReply, TurnEvent } from '../../src/core/message.js';

export class RecordingAdapter implements Adapter {
  readonly capabilities: AdapterCapabilities = { threads: false, edits: false, reactions: false, typing: true, streaming: false, maxMessageLength: 4000 };
  readonly sent: { conversationId: string; reply: OutboundReply }[] = [];
  readonly events: { conversationId: string; event: TurnEvent }[] = [];
  private counter = 0;

  constructor(readonly platform = 'test') {}

  async start(_sink: InboundSink): Promise<void> {}
  async stop(): Promise<void> {}

  /** Edits of messages sent with buttons: `sent` is the index in `sent`, as a string. */
  readonly edited: { conversationId: string; sent: string; text: string }[] = [];

  /** A reply with buttons can be edited later: its reference is its index in `sent`. */
  async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    this.sent.push({ conversationId, reply });
    return reply.buttons?.length ? String(this.sent.length - 1) : undefined;
  }

  async edit(conversationId: string, sent: string, text: string): Promise<void> {
    this.edited.push({ conversationId, sent, text });
  }

  progress(conversationId: string, event: TurnEvent): void {
    this.events.push({ conversationId, event });
  }

  texts(): string[] {
    return this.sent.map((s) => s.reply.text);
  }

  /** Builds an inbound message from this platform. */
  message(text: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
    const id = overrides.messageId ?? `m${++this.counter}`;
    return {
      platform: this.platform,
      conversationId: `${this.platform}:dm:alice`,
      userId: `${this.platform}:alice`,
      senderId: 'alice',
      userName: 'alice',
      text,
      isDirect: true,
      isSelf: false,
      messageId: id,
      receivedAt: new Date(0),
      ...overrides,
    };
  }
}

/**
 * People chat in bursts: "hi" / "can you check the deploy" / "the API logs". Messages a
 * person sends while Cairn is still busy in the conversation wait for their turn; the
 * ones waiting together become one turn, asked as one message, instead of one answer
 * each to half a thought. A message that arrives while nothing runs starts at once, as
 * before: nothing is ever held back to see whether more comes.
 *
 * Only plain messages from the same person join, in the order they came. A command, a
 * scheduled task, a slash command (whose platform holds a place for its own answer) and
 * another member's message each end the batch, so nothing is answered out of order. A
 * batch stays within the input limit.
 */
import type { InboundMessage } from './message.js';
import type { KeyedQueue } from './keyed-queue.js';
import { withReplyContext } from './reply-context.js';

/** Between the messages of a batch, as the model sees them. */
const SEPARATOR = '\n\n';

interface Batch {
  readonly messages: InboundMessage[];
  /** Settles when the batch's turn is over, however it ended. */
  finished: Promise<void>;
}

/** Where a message would go in its conversation's line: into a batch waiting there, or a place of its own. */
export type Place = { joins: true } | { joins: false; ahead: number; waiting: number; mine: number };

export class MessageBatches<Outcome> {
  /** Per conversation, the batch at the back of its queue, while it has not started. */
  private readonly open = new Map<string, Batch>();
  /** Per conversation and person, their messages' places in its line that have not started (the gateway limits them). */
  private readonly placesOf = new Map<string, Map<string, number>>();

  constructor(
    private readonly queue: KeyedQueue,
    private readonly maxChars: number,
  ) {}

  /**
   * Queues the message's turn behind its conversation's, or adds it to the batch waiting
   * there. A message that joined resolves to `joined` when the batch's turn is over.
   * `handle` gets the batch as one message, and the messages it is made of.
   */
  run(message: InboundMessage, handle: (message: InboundMessage, parts: readonly InboundMessage[]) => Promise<Outcome>, joined: Outcome): Promise<Outcome> {
    const key = message.conversationId;
    const waiting = this.open.get(key);
    if (waiting && this.fits(waiting, message)) {
      waiting.messages.push(message);
      return waiting.finished.then(() => joined);
    }
    this.open.delete(key);
    // Commands and scheduled runs are never refused for a full line, so they are not counted as a person's places.
    const started = message.command || message.scheduled ? () => undefined : this.holdPlace(key, personOf(message));
    // A message that can start now starts alone; one behind a turn may be joined by what follows.
    if (!joinable(message) || !this.queue.busy(key)) {
      return this.queue.run(key, () => {
        started();
        return handle(message, [message]);
      });
    }
    const batch: Batch = { messages: [message], finished: Promise.resolve() };
    this.open.set(key, batch);
    const result = this.queue.run(key, () => {
      started();
      if (this.open.get(key) === batch) this.open.delete(key);
      return handle(merged(batch.messages), batch.messages);
    });
    batch.finished = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Where `message` would go if run now: into the batch waiting at the back (nothing more waits), or a
   * place of its own behind `ahead` turns (running or waiting), `waiting` of them not started, `mine`
   * of those its sender's.
   */
  placeOf(message: InboundMessage): Place {
    const key = message.conversationId;
    const waiting = this.open.get(key);
    if (waiting && this.fits(waiting, message)) return { joins: true };
    return { joins: false, ahead: this.queue.ahead(key), waiting: this.queue.waiting(key), mine: this.placesOf.get(key)?.get(personOf(message)) ?? 0 };
  }

  /** Counts a place of `person` in the line until it starts (the function returned). */
  private holdPlace(key: string, person: string): () => void {
    const people = this.placesOf.get(key) ?? new Map<string, number>();
    this.placesOf.set(key, people);
    people.set(person, (people.get(person) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (people.get(person) ?? 1) - 1;
      if (left > 0) people.set(person, left);
      else people.delete(person);
      if (people.size === 0 && this.placesOf.get(key) === people) this.placesOf.delete(key);
    };
  }

  private fits(batch: Batch, message: InboundMessage): boolean {
    const first = batch.messages[0];
    if (!first || !joinable(message) || message.identity !== first.identity || message.senderId !== first.senderId) return false;
    const length = [...batch.messages, message].reduce((sum, each) => sum + asked(each).length + SEPARATOR.length, 0);
    return length <= this.maxChars;
  }
}

/** Whose place in line a message takes: the account that sent it (a person's linked accounts are one). */
function personOf(message: InboundMessage): string {
  return message.userId;
}

/** What may wait with others for one turn. */
function joinable(message: InboundMessage): boolean {
  return !message.command && !message.scheduled && !message.viaSlashCommand;
}

/** A message's words, with what it replies to: each message of a batch may reply to a different one. */
function asked(message: InboundMessage): string {
  return withReplyContext(message.text, message.replyingTo);
}

/** A message's words without what it replies to; a batch's own words, when it is one. */
function own(message: InboundMessage): string {
  return message.ownText ?? message.text;
}

/**
 * The batch as one message: its words in order (`separator` between them), all its files,
 * the thread before its first message, and the last message's id, which the answer replies to.
 * Each message's quote is in the text, so the sender's own words are kept apart in `ownText`.
 */
export function merged(messages: readonly InboundMessage[], separator = SEPARATOR): InboundMessage {
  const [first] = messages;
  const last = messages.at(-1);
  if (!first || !last) throw new Error('merged() needs at least one message');
  if (messages.length === 1) return first;
  const attachments = messages.flatMap((message) => message.attachments ?? []);
  const files = messages.flatMap((message) => message.files ?? []);
  const joined = (words: (message: InboundMessage) => string) => messages.map(words).filter((text) => text.trim() !== '').join(separator);
  const text = joined(asked);
  const ownText = joined(own);
  return {
    ...last,
    text,
    ownText: ownText !== text ? ownText : undefined,
    madeOf: messages.flatMap(sourcesOf),
    replyingTo: undefined,
    attachments: attachments.length > 0 ? attachments : undefined,
    files: files.length > 0 ? files : undefined,
    loadEarlier: first.loadEarlier,
    earlier: first.earlier,
    loadUserName: first.loadUserName,
  };
}

/** The platform ids of the messages a message is made of (a batch's, or its own): what a deletion of one of them finds. */
export function sourcesOf(message: Pick<InboundMessage, 'messageId' | 'madeOf'>): readonly string[] {
  return message.madeOf ?? [message.messageId];
}

/**
 * The file reader puts what it read of a message's files after its text; for a batch with
 * `ownText`, that goes after the sender's own words too (their voice message is theirs). Were
 * it laid out otherwise, the words alone are kept: less for notes, but never another's words.
 */
export function withFilesRead(before: InboundMessage, read: InboundMessage | string): InboundMessage | string {
  const caption = before.text.trim();
  if (typeof read === 'string' || before.ownText === undefined || read.text === before.text || !read.text.startsWith(caption)) return read;
  const fromFiles = read.text.slice(caption.length).trim();
  return { ...read, ownText: [before.ownText.trim(), fromFiles].filter((part) => part !== '').join(SEPARATOR) };
}

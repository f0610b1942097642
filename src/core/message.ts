import type { CairnError } from './errors.js';
import type { TextResetReason } from '../model/types.js';
/**
 * The one message type every adapter produces, and the small port every adapter
 * implements. The core never reads `raw`; it is there for the adapter's own use.
 */
export interface InboundCommand {
  /** Lower-case command name without the slash: `new`, `help`, `memory`. */
  name: string;
  args: string;
}

/** A file a message carried (photo, voice message, document), downloaded only when Cairn reads it. */
export interface InboundFile {
  /** How `attachments` names it (`a photo`, `a file (notes.txt)`), so what Cairn read of it can take its place. */
  label: string;
  /** A name whose extension says the format (`voice.ogg`, `photo.jpg`), as speech-to-text endpoints want. */
  fileName: string;
  /** The MIME type, when the platform says. */
  contentType?: string | undefined;
  /** The size in bytes, when the platform says; a file too big to read is not downloaded. */
  size?: number | undefined;
  load(signal?: AbortSignal): Promise<Uint8Array>;
}

/** A message of a thread, as context for a question in it. */
export interface EarlierMessage {
  author: string;
  text: string;
}

/** A thread before a message in it: its messages oldest first, and whether older ones were not read. */
export interface ThreadBefore {
  messages: EarlierMessage[];
  olderLeftOut: boolean;
}

/**
 * What a scheduled task's run carries. `delivered` / `refused`: the gateway tells whether the
 * platform took the run's answer, or refused it for good (the bot was removed from the group,
 * the channel deleted, the user blocked it), so a task whose answers reach nobody stops.
 */
export interface ScheduledRun {
  id: number;
  cancelled?: () => boolean;
  delivered?: () => void;
  refused?: (error: CairnError) => void;
  /** The gateway did not run it: who set it no longer has an account there (deactivated, left); `why` says so in words. */
  ownerGone?: (why: string) => void;
  /** The run failed, or the owner's daily allowance refused it: what its owner is told, which says what becomes of the task (a one-off may run again later); '' says nothing (a repeating task's allowance refusal after the first that day). */
  failed?: (error: unknown) => string;
}

/** What a platform tells of a sender when asked (Slack's users.info). */
export interface SenderDetails {
  name: string;
  timeZone?: string | undefined;
  /** The language their app is set to (Slack's `locale`), a BCP 47 tag. */
  language?: string | undefined;
}

export interface InboundMessage {
  platform: string;
  /** Carries the platform and everything that scopes a session: `slack:T1:C1:1700000000.1`. */
  conversationId: string;
  /** Stable user key, platform-qualified: `slack:T1:U1`, `console:alice`. The gateway replaces it
   * with the person key when the identity is linked to others (see `identity`). */
  userId: string;
  /** The platform's own id of the sender (`U1`, `12345`): what allowlists and admin lists hold. */
  senderId: string;
  /** Set by the gateway: the platform identity the message came from, before linking mapped `userId`. */
  identity?: string;
  userName: string;
  /** Text with the bot mention stripped. */
  text: string;
  /**
   * The sender's own words where `text` carries others' too: a batch whose messages replied to
   * other messages has their quotes in its text (see coalesce.ts). What is kept as the sender's
   * (notes learn from it); absent when `text` is all theirs.
   */
  ownText?: string | undefined;
  /**
   * What else the message carried that Cairn cannot read yet, in words: `a photo`,
   * `a voice message`, `a file (report.pdf)`. The model is told, so it does not
   * answer as if it had seen them.
   */
  attachments?: string[] | undefined;
  /**
   * The files among `attachments` the adapter can download. Cairn reads text files, and
   * voice messages and images when a transcription or vision model is set (see file-reader.ts).
   */
  files?: InboundFile[] | undefined;
  isDirect: boolean;
  /** In a group: the bot was mentioned, replied to, or addressed with its command. */
  addressed?: boolean;
  /** Sent by this bot itself (echoes of its own posts). */
  isSelf: boolean;
  /** Sent by another bot. */
  isBot?: boolean;
  /**
   * The message this one replies to (or the part of it the sender quoted): what "this" means
   * in "@Cairn what do you make of this?". `byBot`: it is one of Cairn's own.
   */
  replyingTo?: { author: string; text: string; byBot: boolean } | undefined;
  /**
   * Loads what was said in the message's thread before it, since Cairn last spoke there
   * (Slack and Discord threads, where a mention often means "this thread"). The gateway
   * calls it when the turn starts and puts the result in `earlier`.
   */
  loadEarlier?: ((signal: AbortSignal) => Promise<ThreadBefore>) | undefined;
  /** What `loadEarlier` found. */
  earlier?: ThreadBefore | undefined;
  /** Looks up the sender's name where the platform sends only an id (Slack), with their time zone where it keeps one; the gateway calls it when the turn starts. */
  loadUserName?: (() => Promise<string | SenderDetails>) | undefined;
  /** The sender's time zone as the platform gives it (Slack's profile): an IANA name; absent where it gives none (Discord, Telegram). */
  timeZone?: string | undefined;
  /**
   * The language the sender's app is set to, as the platform gives it (Telegram's `language_code`, Discord's
   * interaction `locale`, Slack's profile `locale` through `loadUserName`): a BCP 47 tag such as `pt-BR`.
   */
  language?: string | undefined;
  /** Sent by Cairn's scheduler on behalf of who set the task: no platform message to reply to. */
  /**
   * A scheduled task's run. `cancelled`: whether the task was cancelled since it fell due (its run
   * may wait behind a turn in that conversation, the very turn that cancels it); then it does not run.
   */
  scheduled?: ScheduledRun | undefined;
  command?: InboundCommand | undefined;
  /**
   * A 👍/👎 on one of Cairn's replies: the message that reply answered (its `replyTo`), so
   * `/feedback` judges the turn that answered it rather than the conversation's latest.
   */
  feedbackOn?: string | undefined;
  /** Came as an interaction whose answer has a place held for it (Discord's /ask, "Ask Cairn" and button presses; Slack's /cairn), so it never joins other messages' turn. */
  viaSlashCommand?: boolean | undefined;
  /**
   * Not a message but word that one was deleted (Slack's `message_deleted`, Discord's messageDelete): the `messageId`
   * its adapter gave the message deleted (its edits' ids start with it). Waiting in line, it is dropped; answered
   * now, its turn stops; answered before, it leaves the stored history with Cairn's turn for it (withdrawals.ts).
   */
  withdrawn?: string | undefined;
  /** The platform ids of the messages this one is made of, where it is several sent together (coalesce.ts); absent: `messageId` alone. */
  madeOf?: readonly string[] | undefined;
  /** Platform id of the message or event, used to drop duplicate deliveries. */
  messageId: string;
  receivedAt: Date;
  raw?: unknown;
}

export interface OutboundReply {
  text: string;
  /** Platform message id this replies to, when the platform threads replies. */
  replyTo?: string | undefined;
  /**
   * The message whose turn this reply belongs to (a scheduled run's too, which replies to no
   * platform message): adapters remember it with the reply, so a 👍/👎 on it judges that turn.
   */
  answers?: string | undefined;
  /** The turn failed; adapters may render this differently. */
  isError?: boolean;
  /** Files sent with the text (the send_file tool); only to an adapter whose capabilities give maxFileBytes. */
  files?: OutboundFile[] | undefined;
  /** The turn's answer (or why there is none): it replaces what was streamed of the turn so far. */
  endsTurn?: boolean;
  /** Buttons under the message, each sending a command as if the one who pressed it typed it; a platform without them shows the text alone. */
  buttons?: ReplyButton[] | undefined;
}

/** A message Cairn posted with buttons, to change once what they ask is settled. */
export interface PostedMessage {
  /** Shows `text` instead, without the buttons. */
  edit(text: string): Promise<void>;
}

/** A button under a message: `/approve k3m9pq` at a tap. */
export interface ReplyButton {
  label: string;
  /** The command it sends, slash and arguments: `/approve k3m9pq`. */
  command: string;
}

/** A file Cairn sends into the conversation. */
export interface OutboundFile {
  /** The file name people see. */
  name: string;
  bytes: Uint8Array;
}

/** Adapters word a take-back by it, from the core's port alone. */
export type { TextResetReason };

/** Progress while a turn runs; adapters show what their platform can. */
export type TurnEvent =
  | { type: 'typing' }
  | { type: 'text-delta'; text: string }
  /**
   * The text streamed so far is withdrawn; the next delta starts it anew. `reason`: the model
   * call is tried again (`retry`), or the text was the model's thinking (`thinking`).
   */
  | { type: 'text-reset'; reason: TextResetReason }
  | { type: 'tool-call'; name: string }
  | { type: 'done' };

export interface AdapterCapabilities {
  threads: boolean;
  edits: boolean;
  reactions: boolean;
  typing: boolean;
  /** Shows text while the model is still writing it. */
  streaming: boolean;
  /** Longest text one message may carry. */
  maxMessageLength: number;
  /** Largest file the platform takes from a bot; absent: the adapter sends no files. */
  maxFileBytes?: number;
  /**
   * False where nothing the user says reaches Cairn until the turn has answered (piped
   * `cairn chat` reads its next line then): a question asked mid-turn, such as an approval,
   * could never be answered there and is not asked.
   */
  hearsDuringTurn?: boolean;
}

/** Where adapters push inbound messages: the gateway's one entrance. */
export type InboundSink = (message: InboundMessage) => Promise<unknown>;

/** An adapter's account of its connection to the platform, for /healthz. */
export interface AdapterHealth {
  /** False once the connection stopped for good (a revoked token): Cairn no longer hears the platform. */
  ok: boolean;
  /** What is wrong or going on (retrying after a conflict), in words. */
  problem?: string | undefined;
}

export interface Adapter {
  readonly platform: string;
  readonly capabilities: AdapterCapabilities;
  start(sink: InboundSink): Promise<void>;
  /**
   * Stops taking new messages, at once, where the platform keeps what is not taken or sends it again (Telegram's
   * polling ends and its webhook answers 503; Slack's events go unacknowledged). Shutdown calls it before the turns
   * in flight drain, so a message sent meanwhile reaches the next start instead of being answered "Cairn is
   * restarting"; replies still go out until stop(). Without it (Discord, which sends nothing again that a bot
   * missed) messages are taken until stop(), and the gateway asks their senders to send them again.
   */
  stopTaking?(): void;
  stop(): Promise<void>;
  /**
   * Sends the reply. For a reply with buttons, an adapter that can change the message later
   * resolves with a reference to it, which `edit` takes.
   */
  send(conversationId: string, reply: OutboundReply): Promise<string | undefined | void>;
  /** Replaces the text of a message sent with buttons (send's reference), and takes the buttons away: an approval request once decided. */
  edit?(conversationId: string, sent: string, text: string): Promise<void>;
  /** How its connection is; an adapter without one is taken as well while it runs. */
  health?(): AdapterHealth;
  /**
   * Why the platform's user `senderId` can no longer be who a scheduled task in `conversationId` runs
   * as (Slack: "their Slack account is deactivated"; Discord and Telegram: they are no longer in that
   * server or group), or undefined while they are or it cannot be told. Asked before a scheduled task
   * runs as them: a person who left kept posting their daily report where they no longer were, for months.
   */
  accountGone?(senderId: string, conversationId: string): Promise<string | undefined>;
  /** Optional live progress (typing indicator, streamed text); `replyTo` is the message the turn answers. */
  progress?(conversationId: string, event: TurnEvent, replyTo?: string): void;
}

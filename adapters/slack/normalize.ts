/**
 * Slack events and slash commands → the core's InboundMessage. Payloads are parsed with
 * zod; events Cairn does not answer (edits, deletions, joins) normalize to undefined.
 *
 * Conversation ids: `slack:<team>:<channel>` for DMs and channel-wide sessions,
 * `slack:<team>:<channel>:<thread ts>` for per-thread sessions (the default in channels), and
 * `slack:<team>:<channel>:private-<user>` for one person's own in a DM of others (see direct-chats.ts).
 * Message ids are `<channel>:<ts>`: Slack's retries of one event carry the same ts, and a
 * mention that arrives both as `message` and `app_mention` (two event ids) has one ts too,
 * so the gateway answers each message once.
 */
import { z } from 'zod';
import { parseCommand } from '../../src/core/commands.js';
import { audioExtensionOf, describeFile, hasAudioExtension } from '../../src/core/attachments.js';
import type { InboundMessage } from '../../src/core/message.js';
import { reactionMessageId, type SentReply } from '../../src/core/sent-replies.js';
import { ConfigError } from '../../src/core/errors.js';
import { forwardedMessages } from './shared-messages.js';

export const PLATFORM = 'slack';

/** Who the bot is, from auth.test. */
export interface BotIdentity {
  teamId: string;
  userId: string;
  botId: string;
}

export interface NormalizeOptions {
  bot: BotIdentity;
  channelSessions: 'thread' | 'channel';
  /** Whether a word names a chat command (`/cairn new` runs /new). */
  isCommand(name: string): boolean;
  now: Date;
}

/** Where a reply to this message goes, and how (the adapter keeps it while the message is handled). */
export interface ReplyTarget {
  channel: string;
  /** The user's message, for the "thinking" reaction; absent for slash commands. */
  ts?: string;
  /** Thread to answer in; absent for a top-level DM. */
  threadTs?: string;
  /** Slash commands answer through their response_url. */
  viaResponseUrl?: boolean;
  /** Who ran the slash command: their direct chat with Cairn is the last place its answer can go. */
  user?: string;
  /** A slash command run in a DM of others: answered to whoever ran it alone. */
  ephemeral?: boolean;
  /** Posted in the channel, but where Slack refuses that (Cairn no member of it), answered to `user` alone through the response_url. */
  privatelyIfRefused?: boolean;
}

export interface Normalized {
  message: InboundMessage;
  target: ReplyTarget;
}

export const fileSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  mimetype: z.string().optional(),
  url_private_download: z.string().optional(),
  size: z.number().optional(),
  /** `slack_audio`: a clip recorded in Slack (audio/webm on the desktop, audio/mp4 on a phone). */
  subtype: z.string().optional(),
  /** `check_file_info`: a file from a Slack Connect partner, only its id given (see files.ts). */
  file_access: z.string().optional(),
});

const messageEvent = z.object({
  type: z.enum(['message', 'app_mention']),
  channel: z.string().min(1),
  user: z.string().min(1).optional(),
  bot_id: z.string().min(1).optional(),
  subtype: z.string().optional(),
  text: z.string().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().min(1).optional(),
  channel_type: z.string().optional(),
  team: z.string().optional(),
  user_team: z.string().optional(),
  files: z.array(fileSchema).optional(),
  // Read leniently (shared-messages.ts): an attachment of an odd shape must not lose the message.
  attachments: z.array(z.unknown()).optional(),
});

const envelope = z.object({
  team_id: z.string().min(1).optional(),
  event_id: z.string().optional(),
  // The installation the event was sent to: null in an org-wide (Enterprise Grid) install.
  authorizations: z.array(z.object({ team_id: z.string().min(1).nullable().optional() }).passthrough()).optional(),
});

const slashCommand = z.object({
  command: z.string().min(2),
  text: z.string().default(''),
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  channel_name: z.string().optional(),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  trigger_id: z.string().min(1),
});

/** Subtypes that carry a user's new words; the rest (edits, deletions, joins, topics) are not messages to answer. */
const ANSWERABLE_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast', 'bot_message', 'me_message']);

/**
 * The workspace a person belongs to, which their user id is built from: in a Slack Connect
 * channel the event's outer team_id is the channel owner's, while `user_team` (or `team`) is
 * the sender's own, so a person is the same user in every channel. `fallback` where the event
 * names none (a reaction: Cairn's own workspace). In a channel shared across an Enterprise Grid
 * org Slack names the sender's org (`E…`) as user_team: that is no workspace, and read as one
 * it made a member two people (their DM says `T…`), their notes split between the two.
 */
export function userTeamOf(named: { user_team?: string | undefined; team?: string | undefined }, fallback: string): string {
  return [named.user_team, named.team].find((team) => team !== undefined && team !== '' && !team.startsWith('E')) ?? fallback;
}

/**
 * The workspace that names an event's conversation: the one Cairn is installed in
 * (`authorizations`), as Bolt reads it. The outer team_id of an event in a Slack Connect
 * channel is another workspace's (the channel owner's, or the sender's), so one thread became
 * several conversations, and the operator's settings for Cairn's workspace (`slack:T…` in
 * `channels`: a back end, a model) did not hold there. An org-wide install names no workspace
 * there: the event's own (team_id) does.
 */
export function eventTeamOf(rawBody: unknown, event: { team?: string | undefined }, fallback: string): string {
  const body = envelope.safeParse(rawBody).data;
  return body?.authorizations?.[0]?.team_id ?? body?.team_id ?? event.team ?? fallback;
}

/**
 * A DM is one conversation, and each thread in it one of its own (every chat in Slack's
 * assistant pane is a DM thread). In channels each thread is one, or the whole channel
 * with `channelSessions: channel`.
 */
export function conversationIdOf(team: string, channel: string, message: { ts: string; thread_ts?: string | undefined }, isDirect: boolean, options: NormalizeOptions): string {
  const base = `${PLATFORM}:${team}:${channel}`;
  if (isDirect) return message.thread_ts ? `${base}:${message.thread_ts}` : base;
  return options.channelSessions === 'channel' ? base : `${base}:${message.thread_ts ?? message.ts}`;
}

/** Marks the last part of a conversation id that is one person's own, not a thread's ts. */
const ASKER_ONLY = 'private-';

/**
 * The conversation of `user` alone in the conversation `conversationId`: a slash command in a DM
 * of others is answered to whoever ran it alone, so each of them has a conversation of their own
 * (the other person's /cairn export there would share the asker's questions and answers with both).
 * Not `:<user>` (a member's own session in a group, whose tasks /schedules lists in the group):
 * nothing of it is posted where the other person reads.
 */
export function askerOnlyConversationId(conversationId: string, user: string): string {
  return `${conversationId}:${ASKER_ONLY}${user}`;
}

/** The parts of a conversation id (conversationIdOf's and askerOnlyConversationId's inverse). */
export function parseConversationId(conversationId: string): { team: string; channel: string; threadTs?: string; asker?: string } {
  const [platform, team, channel, last] = conversationId.split(':');
  if (platform !== PLATFORM || !team || !channel) throw new ConfigError([`${conversationId} is not a Slack conversation id (slack:<team>:<channel>[:<thread ts>]).`]);
  if (last?.startsWith(ASKER_ONLY) && last.length > ASKER_ONLY.length) return { team, channel, asker: last.slice(ASKER_ONLY.length) };
  return last ? { team, channel, threadTs: last } : { team, channel };
}

export function normalizeEvent(rawEvent: unknown, rawBody: unknown, options: NormalizeOptions): Normalized | undefined {
  const parsed = messageEvent.safeParse(rawEvent);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  if (!ANSWERABLE_SUBTYPES.has(event.subtype)) return undefined;
  const { bot } = options;
  // Cairn's workspace names the conversation (in a Slack Connect channel too); the sender's own names them.
  const team = eventTeamOf(rawBody, event, bot.teamId);
  const userTeam = userTeamOf(event, team);
  const isDirect = event.channel_type === 'im' || (event.channel_type === undefined && event.channel.startsWith('D'));
  const isSelf = event.user === bot.userId || (event.bot_id !== undefined && event.bot_id === bot.botId);
  const isBot = !isSelf && (event.bot_id !== undefined || event.subtype === 'bot_message');
  // Only the sender's own words address Cairn or run a command, never a message they forward.
  const mentioned = mentionPattern(bot.userId).test(event.text);
  const own = slackToPlain(withoutMention(event.text, bot.userId)).trim();
  const command = parseCommand(own);
  const text = command ? own : withForwarded(own, event.attachments);
  const user = event.user ?? event.bot_id ?? 'unknown';
  const threadRoot = event.thread_ts ?? event.ts;
  const conversationId = conversationIdOf(team, event.channel, event, isDirect, options);
  return {
    message: {
      platform: PLATFORM,
      conversationId,
      userId: `${PLATFORM}:${userTeam}:${user}`,
      senderId: user,
      userName: user,
      text,
      ...(event.files?.length ? { attachments: event.files.map(fileLabel) } : {}),
      isDirect,
      addressed: isDirect || event.type === 'app_mention' || mentioned,
      isSelf,
      isBot,
      command,
      messageId: `${event.channel}:${event.ts}`,
      receivedAt: options.now,
      raw: rawEvent,
    },
    // Channels answer in the thread (the mention's own, or the one it was written in); DMs in place.
    target: { channel: event.channel, ts: event.ts, ...(isDirect ? (event.thread_ts ? { threadTs: event.thread_ts } : {}) : { threadTs: threadRoot }) },
  };
}

/**
 * The text with the messages it forwards after it, each marked as forwarded (as the Discord
 * adapter marks them): a forward's own text is only the comment typed with it, or nothing.
 */
export function withForwarded(text: string, attachments: unknown): string {
  const forwarded = forwardedMessages(attachments).map(({ author, text: said }) => `[Forwarded message${author ? ` from ${author}` : ''}:\n${slackToPlain(said).trim()}]`);
  return [text, ...forwarded].filter((part) => part !== '').join('\n');
}

/** A file shared with the message that Cairn may read; downloading it needs `files:read`. */
export interface SlackFile {
  label: string;
  fileName: string;
  contentType: string | undefined;
  size: number | undefined;
  url: string;
}

/** The message's files that can be downloaded (a file shared from elsewhere may have no link). */
export function filesOf(rawEvent: unknown): SlackFile[] {
  return downloadable(messageEvent.safeParse(rawEvent).data?.files ?? []);
}

/** The files Slack lets the bot download, as files to fetch. */
export function downloadable(files: readonly z.infer<typeof fileSchema>[]): SlackFile[] {
  return files.flatMap((file) =>
    file.url_private_download
      ? [{ label: fileLabel(file), fileName: uploadedName(file), contentType: file.mimetype, size: file.size, url: file.url_private_download }]
      : [],
  );
}

/**
 * How a shared file is named to the model and in answers. A clip recorded in Slack is the person speaking, as a
 * voice message is on the other platforms: "[audio file (audio_message.webm), transcribed]" read as a file they
 * shared, to be summarized rather than answered.
 */
export function fileLabel(file: Pick<z.infer<typeof fileSchema>, 'name' | 'mimetype' | 'subtype'>): string {
  return file.subtype === 'slack_audio' ? 'an audio clip' : describeFile(file.name, file.mimetype);
}

/**
 * The name a file is read under. Speech-to-text endpoints tell a recording's format by its name's extension: a
 * recording without one (a clip titled by its date) is named by its type, a phone's audio/mp4 as `.m4a`.
 */
function uploadedName(file: z.infer<typeof fileSchema>): string {
  const extension = audioExtensionOf(file.mimetype);
  if (extension && !hasAudioExtension(file.name)) return `audio.${extension}`;
  return file.name ?? (file.mimetype?.startsWith('audio/') ? 'audio.webm' : 'file');
}

/**
 * A slash command. `/cairn <question>` asks; `/cairn new` (or `/cairn /new`) runs a chat
 * command; a slash command the app defines under a command's own name (`/new`) runs it too.
 */
export function normalizeSlashCommand(rawBody: unknown, options: NormalizeOptions): Normalized | undefined {
  const parsed = slashCommand.safeParse(rawBody);
  if (!parsed.success) return undefined;
  const body = parsed.data;
  const name = body.command.replace(/^\//, '').toLowerCase();
  const text = slackToPlain(body.text).trim();
  const command = name === 'cairn' ? commandInText(text, options) : { name, args: text };
  const isDirect = body.channel_name === 'directmessage' || body.channel_id.startsWith('D');
  return {
    message: {
      platform: PLATFORM,
      // Slash commands carry no thread, so in channels they share the channel's session.
      conversationId: `${PLATFORM}:${body.team_id}:${body.channel_id}`,
      userId: `${PLATFORM}:${body.team_id}:${body.user_id}`,
      senderId: body.user_id,
      userName: body.user_name ?? body.user_id,
      text,
      isDirect,
      addressed: true,
      isSelf: false,
      command,
      viaSlashCommand: true,
      messageId: `command:${body.trigger_id}`,
      receivedAt: options.now,
      raw: rawBody,
    },
    target: { channel: body.channel_id, viaResponseUrl: true, user: body.user_id },
  };
}

function commandInText(text: string, options: NormalizeOptions): InboundMessage['command'] {
  if (text === '') return { name: 'help', args: '' };
  const explicit = parseCommand(text);
  if (explicit) return explicit;
  const [first = '', ...rest] = text.split(/\s+/);
  const name = first.toLowerCase();
  return options.isCommand(name) ? { name, args: rest.join(' ') } : undefined;
}

function mentionPattern(userId: string): RegExp {
  return new RegExp(`<@${userId.replace(/[^A-Za-z0-9]/g, '')}(?:\\|[^>]*)?>`);
}

/**
 * The text without the bot's mentions, each with a space beside it ("hey <@U1> look" → "hey
 * look"). Other whitespace stays: pasted code and YAML need their indentation.
 */
function withoutMention(text: string, botUserId: string): string {
  const mention = mentionPattern(botUserId).source;
  return text.replace(new RegExp(`([ \\t\\u00A0]?)${mention}([ \\t\\u00A0]?)`, 'g'), (_match, before: string, after: string) => (before && after ? ' ' : ''));
}

/**
 * Slack's wire format → what the user typed: entities decoded, links, channel references,
 * user-group mentions and dates shown as text. User mentions other than the bot's stay as `<@U…>`.
 */
export function slackToPlain(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>/g, (_match, url: string, label: string | undefined) => {
      if (!label) return url;
      const bare = url.replace(/^(?:https?:\/\/|mailto:)/, '');
      return bare === label || url === label ? label : `${label} (${url})`;
    })
    // Slack's clients now send a channel reference without its name (<#C…|> or <#C…>): its id stands in.
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_match, id: string, name: string | undefined) => `#${name || id}`)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    // A user group's mention: its handle (Slack's clients may send only the id, which stands in then).
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>/g, (_match, id: string, handle: string | undefined) => `@${handle || id}`)
    // A date shown in each reader's time zone: the fallback text the sender's client wrote, else the moment itself.
    .replace(/<!date\^(\d+)\^[^|>]*(?:\|([^>]*))?>/g, (_match, unix: string, fallback: string | undefined) => fallback || dateOf(unix))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A Unix time Slack sent as text, as an ISO date; one out of Date's range as the number it is. */
function dateOf(unix: string): string {
  const date = new Date(Number(unix) * 1000);
  return Number.isNaN(date.getTime()) ? unix : date.toISOString();
}

const reactionEvent = z.object({
  type: z.literal('reaction_added'),
  user: z.string().min(1),
  reaction: z.string(),
  item: z.object({ type: z.literal('message'), channel: z.string().min(1), ts: z.string().min(1) }),
  event_ts: z.string().optional(),
  user_team: z.string().optional(),
  team: z.string().optional(),
});

const GOOD_REACTIONS = new Set(['+1', 'thumbsup']);
const BAD_REACTIONS = new Set(['-1', 'thumbsdown']);

/**
 * 👍 / 👎 on one of Cairn's replies becomes `/feedback good|bad` in that reply's
 * conversation, about the turn that sent it (`replyAt` knows which replies are Cairn's).
 */
export function normalizeReaction(rawEvent: unknown, options: NormalizeOptions, replyAt: (channel: string, ts: string) => SentReply | undefined): Normalized | undefined {
  const parsed = reactionEvent.safeParse(rawEvent);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  const base = event.reaction.split('::')[0] ?? event.reaction;
  const verdict = GOOD_REACTIONS.has(base) ? 'good' : BAD_REACTIONS.has(base) ? 'bad' : undefined;
  const reply = replyAt(event.item.channel, event.item.ts);
  // A message Cairn posted on its own (an audit report, a proposal) answers no turn: a reaction there is no feedback on the reactor's latest answer.
  if (!verdict || !reply?.answered || event.user === options.bot.userId) return undefined;
  const { conversationId } = reply;
  const { threadTs } = parseConversationId(conversationId);
  return {
    message: {
      platform: PLATFORM,
      conversationId,
      userId: `${PLATFORM}:${userTeamOf(event, options.bot.teamId)}:${event.user}`,
      senderId: event.user,
      userName: event.user,
      text: `/feedback ${verdict}`,
      isDirect: event.item.channel.startsWith('D'),
      addressed: true,
      isSelf: false,
      command: { name: 'feedback', args: verdict },
      feedbackOn: reply.answered,
      // With the event's time: 👍, 👎, 👍 again are three verdicts, while a re-delivery of one (same event_ts) is still dropped.
      messageId: reactionMessageId(event.item.channel, event.item.ts, event.user, verdict, ...(event.event_ts ? [event.event_ts] : [])),
      receivedAt: options.now,
      raw: rawEvent,
    },
    target: { channel: event.item.channel, ...(threadTs ? { threadTs } : {}) },
  };
}

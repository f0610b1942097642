/**
 * Slack's interactive payloads, as the core's InboundMessage: a press of one of Cairn's
 * buttons (block_actions) and the "Ask Cairn" message shortcut (message_action). Both
 * need the app's Interactivity turned on (see the README). And the prompts the assistant
 * pane offers when a chat starts there.
 */
import { z } from 'zod';
import { parseCommand } from '../../src/core/commands.js';
import { ofRepliedMessage } from '../../src/core/attachments.js';
import type { InboundMessage } from '../../src/core/message.js';
import { headOf } from '../../src/core/text.js';
import { PLATFORM, askerOnlyConversationId, conversationIdOf, userTeamOf, downloadable, fileLabel, fileSchema, slackToPlain, withForwarded, type Normalized, type NormalizeOptions, type ReplyTarget, type SlackFile } from './normalize.js';

const buttonPress = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string(), team_id: z.string().optional() }),
  team: z.object({ id: z.string() }).nullable().optional(),
  channel: z.object({ id: z.string() }),
  // A press under an ephemeral message (a private answer) comes without `message`: the container names it.
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  container: z.object({ message_ts: z.string().optional(), is_ephemeral: z.boolean().optional() }).optional(),
  actions: z.array(z.object({ value: z.string().optional(), action_ts: z.string() })).min(1),
});

/**
 * A press of one of Cairn's buttons is the command the button holds, from whoever pressed
 * it, in the conversation of the message it is under; checked like a typed one. A button
 * under a private answer (ephemeral: /cairn or "Ask Cairn" in a DM of others) only its asker
 * sees: the press is theirs, in their own conversation there, and answered to them alone.
 */
export function normalizeButtonPress(rawBody: unknown, options: NormalizeOptions): Normalized | undefined {
  const parsed = buttonPress.safeParse(rawBody);
  if (!parsed.success) return undefined;
  const { user, channel, message, container, actions } = parsed.data;
  const [action] = actions;
  const command = parseCommand(action?.value ?? '');
  const ts = message?.ts ?? container?.message_ts;
  if (!action || !command || !ts) return undefined;
  const messageId = `button:${channel.id}:${ts}:${user.id}:${action.action_ts}`;
  if (!message || container?.is_ephemeral) {
    const where = whereFrom({ ...parsed.data, message: { ts } }, options);
    const team = interactionTeamOf(parsed.data, options);
    return {
      message: { ...where.sender, conversationId: askerOnlyConversationId(`${PLATFORM}:${team}:${channel.id}`, user.id), isDirect: false, text: action.value ?? '', command, messageId, receivedAt: options.now, raw: rawBody },
      target: { channel: channel.id, ephemeral: true, user: user.id },
    };
  }
  const where = whereFrom({ ...parsed.data, message }, options);
  return {
    message: { ...where.sender, text: action.value ?? '', command, messageId, receivedAt: options.now, raw: rawBody },
    target: where.target,
  };
}

/**
 * The workspace an interaction happened in, which names its conversation as it names the events
 * there. An org-wide (Enterprise Grid) install gets `team: null`: the workspace is the user's
 * (as Bolt reads it), not Cairn's from auth.test, which put an "Ask Cairn" answer in another
 * conversation than its thread's, under another workspace's channel settings.
 */
function interactionTeamOf(payload: { user: { team_id?: string | undefined }; team?: { id: string } | null | undefined }, options: NormalizeOptions): string {
  return payload.team?.id ?? payload.user.team_id ?? options.bot.teamId;
}

/**
 * Who acted, and in which conversation: that of the message they acted on. The answer goes
 * where that message is (its thread; in a DM, in place).
 */
function whereFrom(
  payload: { user: { id: string; team_id?: string | undefined }; team?: { id: string } | null | undefined; channel: { id: string }; message: { ts: string; thread_ts?: string | undefined } },
  options: NormalizeOptions,
): { sender: Omit<InboundMessage, 'text' | 'messageId' | 'receivedAt'>; target: ReplyTarget } {
  const { user, channel, message } = payload;
  const team = interactionTeamOf(payload, options);
  const isDirect = channel.id.startsWith('D');
  const threadRoot = message.thread_ts ?? message.ts;
  return {
    sender: {
      platform: PLATFORM,
      conversationId: conversationIdOf(team, channel.id, message, isDirect, options),
      // Who pressed, by their own workspace (in a Slack Connect channel `team` may be another's), as their messages are.
      userId: `${PLATFORM}:${userTeamOf({ team: user.team_id }, team)}:${user.id}`,
      senderId: user.id,
      userName: user.id,
      isDirect,
      addressed: true,
      isSelf: false,
    },
    target: { channel: channel.id, ...(message.thread_ts ? { threadTs: message.thread_ts } : isDirect ? {} : { threadTs: threadRoot }) },
  };
}

/** The callback id of the message shortcut the app's set-up names ("Ask Cairn" on a message). */
export const ASK_SHORTCUT = 'ask_cairn';

const messageShortcut = z.object({
  type: z.literal('message_action'),
  callback_id: z.literal(ASK_SHORTCUT),
  trigger_id: z.string().min(1),
  user: z.object({ id: z.string(), team_id: z.string().optional() }),
  team: z.object({ id: z.string() }).nullable().optional(),
  channel: z.object({ id: z.string() }),
  message: z.object({
    ts: z.string(),
    thread_ts: z.string().optional(),
    text: z.string().default(''),
    user: z.string().optional(),
    bot_id: z.string().optional(),
    files: z.array(fileSchema).optional(),
    attachments: z.array(z.unknown()).optional(),
  }),
});

/**
 * "Ask Cairn" on a message (a message shortcut) asks about that message, its words and
 * files, as a bare mention in reply to it would. The answer goes in the message's thread; in
 * a DM of others, to the asker alone (direct-chats.ts).
 */
export function normalizeAskAbout(rawBody: unknown, options: NormalizeOptions): { normalized: Normalized; files: SlackFile[] } | undefined {
  const parsed = messageShortcut.safeParse(rawBody);
  if (!parsed.success) return undefined;
  const { message, trigger_id: triggerId } = parsed.data;
  const where = whereFrom(parsed.data, options);
  // Asked about a forward: what it forwards is what the question is about.
  const text = withForwarded(slackToPlain(message.text).trim(), message.attachments);
  const files = downloadable(message.files ?? []).map((file) => ({ ...file, label: ofRepliedMessage(file.label) }));
  const attachments = (message.files ?? []).map((file) => ofRepliedMessage(fileLabel(file)));
  const author = message.user ?? message.bot_id ?? 'someone';
  return {
    normalized: {
      message: {
        ...where.sender,
        text: '',
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(text ? { replyingTo: { author, text, byBot: author === options.bot.userId || message.bot_id === options.bot.botId } } : {}),
        messageId: `shortcut:${triggerId}`,
        receivedAt: options.now,
        raw: rawBody,
      },
      target: where.target,
    },
    files,
  };
}

/** What the assistant pane offers to ask when a chat starts: each sends its message as the person's. */
export const SUGGESTED_PROMPTS = [
  { title: 'What can you do?', message: 'What can you do for me, and how do I best ask?' },
  { title: 'What do you remember about me?', message: 'What do you remember about me?' },
  { title: 'What did we work on lately?', message: 'What did we work on in our recent conversations?' },
] as const;

const assistantThreadStarted = z.object({ assistant_thread: z.object({ channel_id: z.string(), thread_ts: z.string() }) });

/** Where a chat of the assistant pane started (assistant_thread_started), to offer prompts there. */
export function startedAssistantThread(rawEvent: unknown): { channelId: string; threadTs: string } | undefined {
  const parsed = assistantThreadStarted.safeParse(rawEvent);
  return parsed.success ? { channelId: parsed.data.assistant_thread.channel_id, threadTs: parsed.data.assistant_thread.thread_ts } : undefined;
}

/** Longest title Cairn gives a chat of the assistant pane (the pane's history list shows about this much). */
export const TITLE_CHARS = 60;

/** A chat's title from its first message: the first line, cut at a word within TITLE_CHARS. */
export function threadTitle(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .find((l) => l !== '');
  if (!line) return undefined;
  if (line.length <= TITLE_CHARS) return line;
  const cut = headOf(line, TITLE_CHARS - 1);
  const atWord = cut.lastIndexOf(' ');
  return `${(atWord > TITLE_CHARS / 2 ? cut.slice(0, atWord) : cut).trimEnd()}…`;
}

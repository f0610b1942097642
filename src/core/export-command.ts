/**
 * `/export`: the conversation so far as a Markdown file, who said what and when, for
 * people who want to keep or share it. Tool results stay out (some are private to one
 * person, such as their notes); that a tool was used is noted. Where the platform takes
 * no files, the transcript comes as a message.
 */
import type { CommandRegistry } from './commands.js';
import type { Clock } from './clock.js';
import type { SessionManager } from '../memory/session-manager.js';
import type { Session, StoredMessage } from '../memory/sessions.js';

export function registerExportCommand(commands: CommandRegistry, sessions: SessionManager, clock: Clock, botName: string): void {
  commands.register({
    name: 'export',
    description: 'send this conversation so far as a Markdown file',
    run: ({ message, maxFileBytes }) => {
      const active = sessions.current(message.conversationId);
      // After a pause long enough to end it, the conversation the person just had, until a message of theirs starts another.
      const current = active && said(active.messages) ? active : sessions.endedIdle(message.conversationId);
      if (!current || !said(current.messages)) return nothingToExport(current?.session);
      const what = current === active ? 'The conversation so far' : 'Our last conversation here (it ended after a while without messages)';
      const now = clock.now();
      const info = { conversationId: message.conversationId, startedAt: current.session.startedAt, exportedAt: now, botName, asker: { userId: message.userId, name: message.userName } };
      if (!maxFileBytes) return transcript(current.messages, info);
      // Over the platform's file limit, the newest part that fits (as text it came as thousands of messages).
      const { markdown, from } = newestThatFits(current.messages, info, maxFileBytes);
      const text = from === 0 ? `${what}, as Markdown.` : `${what}, as Markdown: its beginning is left out (${from} messages), as the whole would be over the ${Math.floor(maxFileBytes / 1024 / 1024)} MB this platform takes.`;
      return { text, files: [{ name: `conversation-${isoDate(now)}.md`, bytes: Buffer.from(markdown, 'utf8') }] };
    },
  });
}

/**
 * Why there is nothing to export. The last conversation's messages may have been deleted by the history
 * sweep (CAIRN_KEEP_HISTORY_DAYS): "nothing … yet" told someone back from weeks away that it never was.
 */
function nothingToExport(last: Session | undefined): string {
  if (last?.messagesDroppedAt === undefined) return 'There is nothing in this conversation to export yet.';
  return (
    `The messages of our last conversation here (it ended ${isoDate(last.endedAt ?? last.lastActiveAt)}) were deleted on ${isoDate(last.messagesDroppedAt)}: ` +
    'history is kept for a set number of days here (CAIRN_KEEP_HISTORY_DAYS), so there is nothing left to export. Nothing newer has been said here yet.'
  );
}

/** Whether anyone said anything in these messages (a question, or an answer or tool call of Cairn's). */
function said(messages: StoredMessage[]): boolean {
  return messages.some(({ message: m }) => m.role === 'user' || (m.role === 'assistant' && (m.content || m.toolCalls?.length)));
}

interface TranscriptInfo {
  conversationId: string;
  startedAt: number;
  exportedAt: number;
  botName: string;
  /** Who asked for the export: in a DM their messages carry no name (groups' do). */
  asker: { userId: string; name: string };
}

/** The transcript of the newest messages whose Markdown fits `maxBytes`, and how many older ones it leaves out. */
function newestThatFits(messages: StoredMessage[], info: TranscriptInfo, maxBytes: number): { markdown: string; from: number } {
  const fits = (from: number) => Buffer.byteLength(transcript(messages.slice(from), info), 'utf8') <= maxBytes;
  if (fits(0)) return { markdown: transcript(messages, info), from: 0 };
  let over = 0;
  let under = messages.length;
  while (under - over > 1) {
    const middle = Math.floor((over + under) / 2);
    if (fits(middle)) under = middle;
    else over = middle;
  }
  return { markdown: transcript(messages.slice(under), info), from: under };
}

function transcript(messages: StoredMessage[], info: TranscriptInfo): string {
  const lines = [`# Conversation with ${info.botName}`, '', `${info.conversationId} · started ${stamp(info.startedAt)} · exported ${stamp(info.exportedAt)}`];
  for (const { message, userId, createdAt } of messages) {
    if (message.role === 'user') {
      // The asker by the name they have now (a name in another script is user_<id> in `name`).
      const who = userId === info.asker.userId ? info.asker.name : (message.name ?? userId ?? 'someone');
      // Quoted, line by line: a member's message cannot start a line that reads as another speaker's turn (Cairn's, say).
      lines.push('', `**${who}** (${stamp(createdAt)}):`, '', quoted(message.content));
    }
    else if (message.role === 'assistant') {
      const tools = message.toolCalls?.map((call) => call.name) ?? [];
      if (tools.length > 0) lines.push('', `_${info.botName} used ${[...new Set(tools)].join(', ')}._`);
      if (message.content) lines.push('', `**${info.botName}** (${stamp(createdAt)}):`, '', withFencesClosed(message.content));
    }
  }
  return `${lines.join('\n')}\n`;
}

function quoted(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
}

/**
 * The answer with a code block it left open (cut off at the length limit) closed: open, it made
 * every later turn of the transcript read as code.
 */
function withFencesClosed(text: string): string {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    // CommonMark: a fence is 3+ backticks or tildes, indented at most 3 spaces; the closing one as long or longer, with nothing after it.
    const fence = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) continue;
    const [, marks = '', rest = ''] = fence;
    if (open === undefined) {
      if (!(marks.startsWith('`') && rest.includes('`'))) open = marks;
    } else if (marks[0] === open[0] && marks.length >= open.length && rest.trim() === '') open = undefined;
  }
  return open === undefined ? text : `${text}\n${open}`;
}

/** `2026-11-24 09:05 UTC`. */
function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

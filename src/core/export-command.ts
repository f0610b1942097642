/**
 * `/export`: the conversation so far as a Markdown file, who said what and when, for
 * people who want to keep or share it. Tool results stay out (some are private to one
 * person, such as their notes); that a tool was used is noted. Where the platform takes
 * no files, the transcript comes as a message.
 */
import type { CommandRegistry } from './commands.js';
import type { Clock } from './clock.js';
import type { SessionManager } from '../memory/session-manager.js';
import type { StoredMessage } from '../memory/sessions.js';

export function registerExportCommand(commands: CommandRegistry, sessions: SessionManager, clock: Clock, botName: string): void {
  commands.register({
    name: 'export',
    description: 'send this conversation so far as a Markdown file',
    run: ({ message, maxFileBytes }) => {
      const current = sessions.current(message.conversationId);
      const said = current?.messages.filter(({ message: m }) => m.role === 'user' || (m.role === 'assistant' && (m.content || m.toolCalls?.length))) ?? [];
      if (!current || said.length === 0) return 'There is nothing in this conversation to export yet.';
      const now = clock.now();
      const markdown = transcript(current.messages, { conversationId: message.conversationId, startedAt: current.session.startedAt, exportedAt: now, botName, asker: { userId: message.userId, name: message.userName } });
      const bytes = Buffer.from(markdown, 'utf8');
      if (!maxFileBytes || bytes.length > maxFileBytes) return markdown;
      return { text: 'The conversation so far, as Markdown.', files: [{ name: `conversation-${isoDate(now)}.md`, bytes }] };
    },
  });
}

interface TranscriptInfo {
  conversationId: string;
  startedAt: number;
  exportedAt: number;
  botName: string;
  /** Who asked for the export: in a DM their messages carry no name (groups' do). */
  asker: { userId: string; name: string };
}

function transcript(messages: StoredMessage[], info: TranscriptInfo): string {
  const lines = [`# Conversation with ${info.botName}`, '', `${info.conversationId} · started ${stamp(info.startedAt)} · exported ${stamp(info.exportedAt)}`];
  for (const { message, userId, createdAt } of messages) {
    if (message.role === 'user') {
      // The asker by the name they have now (a name in another script is user_<id> in `name`).
      const who = userId === info.asker.userId ? info.asker.name : (message.name ?? userId ?? 'someone');
      lines.push('', `**${who}** (${stamp(createdAt)}):`, '', message.content);
    }
    else if (message.role === 'assistant') {
      const tools = message.toolCalls?.map((call) => call.name) ?? [];
      if (tools.length > 0) lines.push('', `_${info.botName} used ${[...new Set(tools)].join(', ')}._`);
      if (message.content) lines.push('', `**${info.botName}** (${stamp(createdAt)}):`, '', message.content);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `2026-11-24 09:05 UTC`. */
function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

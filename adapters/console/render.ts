/**
 * Renders replies for a terminal: Markdown stays as it is (it reads well as text); errors are marked.
 * Text from outside (the model's, a chat user's) is stripped of control characters and escape
 * sequences first (see terminal-text.ts), so only Cairn's own styling reaches the terminal.
 */
import type { OutboundReply, TextResetReason } from '../../src/core/message.js';
import { stripTerminalControls } from '../../src/core/terminal-text.js';

export function renderReply(reply: OutboundReply, color: boolean): string {
  const text = stripTerminalControls(reply.text).replace(/\s+$/, '');
  if (!reply.isError) return text;
  return color ? `\u001b[33m${text}\u001b[0m` : text;
}

export function renderToolCall(name: string, color: boolean): string {
  return renderAside(`[using ${stripTerminalControls(name)}]`, color);
}

/** Why the text streamed above is not the answer, which follows below it (printed text cannot be taken back). */
export function renderTextReset(reason: TextResetReason | undefined, color: boolean): string {
  const line = reason === 'thinking' ? "[that was the model's thinking; its answer follows]" : '[the connection to the model dropped; the answer starts again]';
  return renderAside(line, color);
}

/** A line about the answer, not of it: dimmed. */
export function renderAside(line: string, color: boolean): string {
  return color ? `\u001b[2m${line}\u001b[0m` : line;
}

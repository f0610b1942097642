/** Renders replies for a terminal: Markdown stays as it is (it reads well as text); errors are marked. */
import type { OutboundReply } from '../../src/core/message.js';

export function renderReply(reply: OutboundReply, color: boolean): string {
  const text = reply.text.replace(/\s+$/, '');
  if (!reply.isError) return text;
  return color ? `\u001b[33m${text}\u001b[0m` : text;
}

export function renderToolCall(name: string, color: boolean): string {
  return renderAside(`[using ${name}]`, color);
}

/** A line about the answer, not of it: dimmed. */
export function renderAside(line: string, color: boolean): string {
  return color ? `\u001b[2m${line}\u001b[0m` : line;
}

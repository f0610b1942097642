/**
 * Discord renders Markdown natively, so replies go out as written, split at 2,000
 * characters without breaking code blocks. The plain fallback (when Discord rejects
 * a message's content) escapes the Markdown so it shows as typed.
 */
import { escapeMarkdown } from 'discord.js';
import { splitMessage } from '../../src/core/split.js';

export const MESSAGE_LIMIT = 2000;

export function renderParts(markdown: string): string[] {
  return splitMessage(markdown.trim() || '…', MESSAGE_LIMIT);
}

/** Escaped text within the limit (escaping lengthens it, so it is split again). */
export function plainParts(text: string): string[] {
  return splitMessage(escapeMarkdown(text), MESSAGE_LIMIT);
}

/**
 * Discord renders Markdown natively, so replies go out as written (fences aside, below;
 * deep headings and tables, which it does not render, see markdown-blocks.ts), split at
 * 2,000 characters without breaking code blocks. The plain fallback (when Discord
 * rejects a message's content) escapes the Markdown so it shows as typed.
 */
import { escapeMarkdown } from 'discord.js';
import { splitMessage } from '../../src/core/split.js';
import { withoutFenceRuns } from '../../src/core/text.js';
import { discordBlocks } from './markdown-blocks.js';
import type { OutboundFile, ReplyButton } from '../../src/core/message.js';

export const MESSAGE_LIMIT = 2000;

export function renderParts(markdown: string): string[] {
  return splitMessage(discordBlocks(discordFences(markdown.trim())) || '…', MESSAGE_LIMIT);
}

/** An opening fence; a backtick after it makes the line inline code (```npm install```), as splitMessage reads it. */
const FENCE = /^(\s*)(```+(?!.*`)|~~~+)(.*)$/;

/**
 * Code blocks as Discord reads them. Discord knows only ``` fences and ends a block at the
 * first ``` inside it, so a longer fence (what shows a command holding ``` as typed) or a ~~~
 * one becomes ```, and inside a block a zero-width space goes between the backticks of a run
 * of three or more: it looks the same, and no longer ends the block early.
 */
export function discordFences(markdown: string): string {
  if (!markdown.includes('```') && !markdown.includes('~~~')) return markdown;
  const lines: string[] = [];
  let open: string | undefined;
  for (const line of markdown.split('\n')) {
    const fence = open === undefined ? FENCE.exec(line) : null;
    if (fence) {
      open = fence[2] ?? '```';
      lines.push(`${fence[1] ?? ''}\`\`\`${fence[3] ?? ''}`);
    } else if (open !== undefined && closes(line, open)) {
      open = undefined;
      lines.push('```');
    } else {
      lines.push(open === undefined ? line : withoutFenceRuns(line));
    }
  }
  return lines.join('\n');
}

/** A bare fence of the opening character, at least as long as the opening one. */
function closes(line: string, opening: string): boolean {
  const bare = line.trim();
  return /^(`{3,}|~{3,})$/.test(bare) && bare[0] === opening[0] && bare.length >= opening.length;
}

/** Escaped text within the limit (escaping lengthens it, so it is split again). */
export function plainParts(text: string): string[] {
  return splitMessage(escapeMarkdown(text), MESSAGE_LIMIT);
}

/** Discord's message components: a row of buttons, each holding its command as its custom id (at most 100 characters). */
export interface ActionRow {
  type: 1;
  components: { type: 2; style: 2; label: string; custom_id: string }[];
}

/** The reply's buttons in one row; one whose command is too long for a custom id is left out (the text names it too). */
export function componentsOf(buttons: readonly ReplyButton[] | undefined): ActionRow[] | undefined {
  const row = (buttons ?? []).filter((button) => button.command.length <= 100).map((button) => ({ type: 2 as const, style: 2 as const, label: button.label, custom_id: button.command }));
  return row.length > 0 ? [{ type: 1, components: row }] : undefined;
}

/** The reply's parts, rendered; its files go with the last part (a message of their own when there is no text). */
export function partsWithFiles(text: string, files: OutboundFile[] | undefined): { content: string; files: OutboundFile[] }[] {
  if (files?.length && text.trim() === '') return [{ content: '', files }];
  const parts: { content: string; files: OutboundFile[] }[] = renderParts(text).map((content) => ({ content, files: [] }));
  const last = parts.at(-1);
  if (last && files?.length) last.files = files;
  return parts;
}

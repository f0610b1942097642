/**
 * Reading kept files again (core/kept-files.ts): `read_attachment` reads a document (or a long transcript) on
 * from any line, or finds the lines that hold some words, for the part a message left
 * out or compression folded away; `look_at_image` asks the vision model about an image
 * again, for a detail its first description did not give. Only files sent in the
 * conversation at hand are found.
 */
import { z } from 'zod';
import type { KeptFile, KeptFiles } from '../core/kept-files.js';
import type { ImageDescriber } from '../model/vision.js';
import type { Tool, ToolContext } from './registry.js';
import { headOf, isHighSurrogate } from '../core/text.js';

/** The most one call returns, so a result stays whole under the registry's cut (MAX_TOOL_RESULT_CHARS). */
const MAX_RESULT_CHARS = 16_000;
/** Lines listed at most by one search. */
const MAX_MATCHES = 100;
/** Longest line shown in a search's list. */
const MAX_MATCH_LINE = 300;
/** Characters shown before what was found, in a line too long to list whole. */
const MATCH_CONTEXT = 100;

const readArgs = z.object({
  attachment: z.number().int().positive().describe('The attachment number: 3 for "attachment #3".'),
  start_line: z.number().int().positive().optional().describe('The first line to read, or with find the first line to search (default 1).'),
  start_char: z.number().int().positive().optional().describe('The character of start_line to start at (default 1): to read on inside a very long line, as a cut one says.'),
  find: z.string().min(1).optional().describe('Instead of reading on, list the lines that contain this text (any case), with their numbers.'),
});

export function readAttachmentTool(kept: KeptFiles): Tool<z.infer<typeof readArgs>> {
  return {
    name: 'read_attachment',
    description: `Read a file someone sent in this conversation (kept ${kept.days} days), or the transcript of a long voice message or recording, by the number its message gives ("attachment #3"): from a line on, or the lines that contain some text. Use it for what a shortened file left out, or a file from earlier in the conversation.`,
    parameters: readArgs,
    execute(args, context) {
      const file = find(kept, args.attachment, context);
      if (file.kind !== 'text') throw new Error(`Attachment #${file.id} (${file.name}) is an image; use look_at_image.`);
      const lines = file.text.split('\n');
      return args.find === undefined ? readFrom(file, lines, args.start_line ?? 1, args.start_char ?? 1) : search(file, lines, args.find, args.start_line ?? 1);
    },
  };
}

const lookArgs = z.object({
  attachment: z.number().int().positive().describe('The attachment number: 13 for "attachment #13".'),
  question: z.string().min(1).describe('What to look for or answer in the image.'),
});

export function lookAtImageTool(kept: KeptFiles, describer: ImageDescriber): Tool<z.infer<typeof lookArgs>> {
  return {
    name: 'look_at_image',
    description: `Look again at an image someone sent in this conversation (kept ${kept.days} days), by the number its message gives ("attachment #13"), with a question: for a detail its first description left out.`,
    parameters: lookArgs,
    async execute(args, context) {
      const file = find(kept, args.attachment, context);
      if (file.kind !== 'image') throw new Error(`Attachment #${file.id} (${file.name}) is a document; use read_attachment.`);
      const answer = await describer.describe(file.image, file.mimeType, args.question, { signal: context.signal, userKey: context.userId });
      return `Attachment #${file.id} (${file.name}), looked at again:\n${answer}`;
    },
  };
}

function find(kept: KeptFiles, id: number, context: ToolContext): KeptFile {
  const file = kept.get(id, context.conversationId, context);
  if (!file) throw new Error(`There is no attachment #${id} in this conversation: files are kept ${kept.days} days, and only where they were sent.`);
  return file;
}

function readFrom(file: Extract<KeptFile, { kind: 'text' }>, lines: string[], start: number, startChar: number): string {
  if (start > lines.length) throw new Error(`Attachment #${file.id} (${file.name}) has ${lines.length.toLocaleString('en-US')} lines; start_line ${start} is past its end.`);
  const first = lines[start - 1] ?? '';
  if (startChar > Math.max(1, first.length)) throw new Error(`Line ${start} of attachment #${file.id} has ${first.length.toLocaleString('en-US')} characters; start_char ${startChar} is past its end.`);
  const shown: string[] = [];
  let size = 0;
  let index = start - 1;
  let cut: string | undefined;
  for (; index < lines.length; index++) {
    const whole = lines[index] ?? '';
    const from = index === start - 1 ? startChar - 1 : 0;
    const line = from > 0 ? whole.slice(from) : whole;
    if (size + line.length + 1 > MAX_RESULT_CHARS && shown.length > 0) break;
    if (line.length > MAX_RESULT_CHARS) {
      // A line longer than the whole result is shown in part, saying where the rest begins (never "the end of the file").
      const part = headOf(line, MAX_RESULT_CHARS);
      shown.push(`${part} [… line cut]`);
      const next = from + part.length + 1;
      cut = `; line ${(index + 1).toLocaleString('en-US')} is cut after ${(next - 1).toLocaleString('en-US')} of its ${whole.length.toLocaleString('en-US')} characters: read on with start_line ${index + 1} and start_char ${next}`;
      index++;
      break;
    }
    shown.push(line);
    size += line.length + 1;
  }
  const range = `lines ${start.toLocaleString('en-US')}-${index.toLocaleString('en-US')} of ${lines.length.toLocaleString('en-US')}`;
  const next = cut ?? (index < lines.length ? `; read on with start_line ${index + 1}` : '; the end of the file');
  return `Attachment #${file.id} (${file.name}), ${range}${next}:\n${shown.join('\n')}`;
}

/**
 * A line found, as listed: whole, or a long one's start, or (when the words lie past that start: minified
 * JSON, a one-line export) the part around them with the start_char it begins at, so the model sees what
 * matched and reads on from there instead of paging through the line from its first character.
 */
function matchShown(line: string, needle: string): string {
  if (line.length <= MAX_MATCH_LINE) return line;
  const lower = line.toLowerCase();
  const at = lower.indexOf(needle);
  // A lowercased line of another length (İ becomes two units) has its positions shifted: its start is shown.
  if (lower.length !== line.length || at + needle.length <= MAX_MATCH_LINE - MATCH_CONTEXT) return `${headOf(line, MAX_MATCH_LINE)} […]`;
  const start = Math.max(0, Math.min(at - MATCH_CONTEXT, line.length - MAX_MATCH_LINE));
  // Whole characters: a cut inside a surrogate pair moves the start past it.
  const from = isHighSurrogate(line.charCodeAt(start - 1)) ? start + 1 : start;
  const shown = headOf(line.slice(from), MAX_MATCH_LINE);
  return `[… from start_char ${from + 1}] ${shown}${from + shown.length < line.length ? ' […]' : ''}`;
}

/**
 * The lines from `start` on that hold `text`. A list holds what fits in one result; the rest are
 * found again from the line after the last one listed (the model could see the first 100 matches
 * only, however often it asked).
 */
function search(file: Extract<KeptFile, { kind: 'text' }>, lines: string[], text: string, start: number): string {
  if (start > lines.length) throw new Error(`Attachment #${file.id} (${file.name}) has ${lines.length.toLocaleString('en-US')} lines; start_line ${start} is past its end.`);
  const needle = text.toLowerCase();
  const matches: string[] = [];
  let total = 0;
  let size = 0;
  let full = false;
  /** The first line found but not listed, where the next search starts. */
  let next: number | undefined;
  for (let index = start - 1; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (!line.toLowerCase().includes(needle)) continue;
    total++;
    if (full || matches.length >= MAX_MATCHES) {
      next ??= index + 1;
      continue;
    }
    const match = `${index + 1}: ${matchShown(line, needle)}`;
    // Whole under the registry's cut: matches cut from the middle of the list could not be asked for again.
    if (size + match.length + 1 > MAX_RESULT_CHARS) {
      full = true;
      next = index + 1;
    } else {
      matches.push(match);
      size += match.length + 1;
    }
  }
  const from = start > 1 ? ` from line ${start.toLocaleString('en-US')} on` : '';
  if (total === 0) return `No line of attachment #${file.id} (${file.name})${from} contains "${text}".`;
  const more = total > matches.length ? ` (the first ${matches.length} shown)` : '';
  const rest = next === undefined ? '' : `; for the others, find again with start_line ${next}`;
  return `${total.toLocaleString('en-US')} line(s) of attachment #${file.id} (${file.name})${from} contain "${text}"${more}; read around one with start_line${rest}:\n${matches.join('\n')}`;
}

/**
 * `read_file` and `write_file` on the session's environment (the same one the
 * terminal uses). Relative paths start from the terminal's current directory.
 * Writing into ~/.ssh, the system's account files or a disk device waits for an
 * admin's approval, like a dangerous command.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { headOf } from '../core/text.js';
import { findPathDanger, type Danger } from '../backends/danger.js';
import { FileTooLargeError } from '../backends/file-too-large.js';
import { holdForApproval, type ExecutionToolOptions } from './terminal.js';
import type { Tool, ToolContext } from './registry.js';
import { decodeBase64Content } from './base64-content.js';
import { fileText, startsWithUtf16Mark, type FileText } from './file-text.js';

const readParameters = z.object({
  path: z.string().min(1).describe('File to read; relative paths start from the terminal\'s current directory.'),
  startLine: z.number().int().positive().optional().describe('First line to return (1-based).'),
  maxLines: z.number().int().positive().max(5000).optional().describe('Most lines to return (default 400).'),
  startChar: z.number().int().positive().optional().describe('Character of startLine to start at (1-based), to read on in a line too long for one page.'),
});

const writeParameters = z.object({
  path: z.string().min(1).describe('File to write (created with its directories, or replaced).'),
  content: z.string().describe('The whole new content.'),
  encoding: z.enum(['utf8', 'base64']).optional().describe('base64 for binary content (default utf8).'),
});

const DEFAULT_LINES = 400;
/** The most one page holds, so it stays whole under the registry's cut (MAX_TOOL_RESULT_CHARS): the hint to read on must not skip lines cut from its middle. */
const MAX_PAGE_CHARS = 16_000;

export function readFileTool(options: ExecutionToolOptions): Tool<z.infer<typeof readParameters>> {
  return {
    name: 'read_file',
    description: 'Read a text file from this conversation\'s environment, with line numbers. Use startLine and maxLines for long files, and startChar for a line too long for one page.',
    parameters: readParameters,
    adminOnly: options.adminOnly,
    async execute({ path, startLine = 1, maxLines = DEFAULT_LINES, startChar = 1 }, context) {
      const bytes = Buffer.from(await readWhole(options, context, path, { startLine, maxLines }));
      const decoded = textOf(path, bytes);
      if (decoded === undefined) return `${path} is a binary file (${bytes.length} bytes). Inspect it with the terminal (file, xxd, …).`;
      const { text, encoding } = decoded;
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length === 0) return `${path} is empty.`;
      if (startLine > lines.length) throw new CairnError('invalid_input', `${path} has ${lines.length} lines; startLine ${startLine} is past the end.`);
      const first = lines[startLine - 1] ?? '';
      if (startChar > first.length + 1) throw new CairnError('invalid_input', `Line ${startLine} of ${path} has ${first.length} characters; startChar ${startChar} is past its end.`);
      const { shown, cutAt } = page([first.slice(startChar - 1), ...lines.slice(startLine, startLine - 1 + maxLines)]);
      const last = startLine - 1 + shown.length;
      const width = String(last).length;
      const from = startChar > 1 ? `; line ${startLine} from character ${startChar}` : '';
      const header = `${path} (${lines.length} lines, ${bytes.length} bytes, ${encoding})${startLine > 1 || last < lines.length ? `; lines ${startLine}-${last}` : ''}${from}`;
      const more =
        cutAt !== undefined
          ? `\n… line ${startLine} goes on past character ${startChar - 1 + cutAt} of ${first.length}: call again with startLine ${startLine} and startChar ${startChar + cutAt}.`
          : last < lines.length
            ? `\n… ${lines.length - last} more lines: call again with startLine ${last + 1}.`
            : '';
      return `${header}\n${shown.map((line, i) => `${String(startLine + i).padStart(width)}│${line}`).join('\n')}${more}`;
    },
  };
}

/**
 * The whole file (read_file numbers its lines from the first). One over maxFileBytes is refused
 * by the back end; the model is told how to get the lines it asked for with the terminal.
 */
async function readWhole(options: ExecutionToolOptions, context: ToolContext, path: string, asked: { startLine: number; maxLines: number }): Promise<Uint8Array> {
  try {
    return await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.readFile(path, { maxBytes: options.maxFileBytes }));
  } catch (error) {
    if (!(error instanceof FileTooLargeError)) throw error;
    const range = `${asked.startLine},${asked.startLine + asked.maxLines - 1}p`;
    throw new CairnError('invalid_input', `${error.message} read_file reads a file whole; get the lines with the terminal instead: sed -n '${range}' ${shellWord(path)} (or tail -n ${asked.maxLines} ${shellWord(path)} for the end, grep -n for a pattern).`, { cause: error });
  }
}

/**
 * The file's text, or undefined for a binary file. Zero bytes alone do not make one: UTF-16
 * without its byte-order mark (SQL Server's `bcp -w`, .NET's and Java's UTF-16LE writers) has
 * them in every other byte, and fileText reads it.
 */
function textOf(path: string, bytes: Uint8Array): FileText | undefined {
  try {
    return fileText(path, bytes);
  } catch (error) {
    if (bytes.includes(0) && !startsWithUtf16Mark(bytes)) return undefined;
    throw error;
  }
}

/** The path as the model could paste it into a command. */
function shellWord(path: string): string {
  return /^[\w./~-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

/**
 * The lines that fit in one page, from the first. A first line longer than the page is shown
 * cut rather than not at all, and `cutAt` says how many of its characters were shown.
 */
function page(lines: string[]): { shown: string[]; cutAt?: number } {
  const first = lines[0] ?? '';
  if (first.length > MAX_PAGE_CHARS) {
    const head = headOf(first, MAX_PAGE_CHARS);
    return { shown: [`${head} [… line cut]`], cutAt: head.length };
  }
  const shown: string[] = [];
  let size = 0;
  for (const line of lines) {
    // The line number and its bar take about 8 characters; a long line after others waits for the next page.
    if (size + line.length + 8 > MAX_PAGE_CHARS && shown.length > 0) break;
    shown.push(line);
    size += line.length + 8;
  }
  return { shown };
}

/**
 * Danger in a relative path, judged where it points: from the terminal's current directory,
 * which an earlier `cd ~/.ssh` may have moved (then `authorized_keys` wrote a login key unheld).
 * One `pwd` in the environment; when that fails, the write would fail too, and nothing is held.
 * `said`: what the environment said on that `pwd` (a new environment's note that the files from
 * before are gone, a session directory made again), which is the model's to read, not the check's.
 */
async function relativePathDanger(options: ExecutionToolOptions, context: ToolContext, path: string): Promise<{ danger?: Danger | undefined; said?: string }> {
  if (path.startsWith('/') || path.startsWith('~')) return {};
  const where = await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.exec({ command: 'pwd', timeoutMs: 10_000, maxOutputBytes: 4096 }));
  const said = where.stderr.trim();
  const directory = where.stdout.trim();
  if (where.exitCode !== 0 || !directory.startsWith('/')) return { said };
  // The admin is shown where it writes, not the bare name.
  const absolute = posix.resolve(directory, path);
  const danger = findPathDanger(absolute);
  return { danger: danger && { ...danger, matched: absolute }, said };
}

export function writeFileTool(options: ExecutionToolOptions): Tool<z.infer<typeof writeParameters>> {
  return {
    name: 'write_file',
    description: 'Create or replace a file in this conversation\'s environment with the given content (directories are created).',
    parameters: writeParameters,
    adminOnly: options.adminOnly,
    async execute({ path, content, encoding = 'utf8' }, context) {
      const data = encoding === 'base64' ? decodeBase64Content(content) : Buffer.from(content, 'utf8');
      if (data.length > options.maxFileBytes) throw new CairnError('invalid_input', `The content is ${data.length} bytes; the limit is ${options.maxFileBytes}.`);
      const absoluteDanger = findPathDanger(path);
      const relative = absoluteDanger ? {} : await relativePathDanger(options, context, path);
      const danger = absoluteDanger ?? relative.danger;
      if (danger) await holdForApproval(options.approvals, context, { tool: 'write_file', backend: options.environments.backendFor(context.conversationId), command: path, danger });
      await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.writeFile(path, data));
      return `Wrote ${data.length} bytes to ${path}.${relative.said ? `\n${relative.said}` : ''}`;
    },
  };
}

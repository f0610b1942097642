/**
 * `read_file` and `write_file` on the session's environment (the same one the
 * terminal uses). Relative paths start from the terminal's current directory.
 * Writing into ~/.ssh, the system's account files or a disk device waits for an
 * admin's approval, like a dangerous command.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { headOf } from '../core/text.js';
import { findPathDanger } from '../backends/danger.js';
import { holdForApproval, type ExecutionToolOptions } from './terminal.js';
import type { Tool } from './registry.js';

const readParameters = z.object({
  path: z.string().min(1).describe('File to read; relative paths start from the terminal\'s current directory.'),
  startLine: z.number().int().positive().optional().describe('First line to return (1-based).'),
  maxLines: z.number().int().positive().max(5000).optional().describe('Most lines to return (default 400).'),
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
    description: 'Read a text file from this conversation\'s environment, with line numbers. Use startLine and maxLines for long files.',
    parameters: readParameters,
    adminOnly: options.adminOnly,
    async execute({ path, startLine = 1, maxLines = DEFAULT_LINES }, context) {
      const bytes = Buffer.from(await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.readFile(path, { maxBytes: options.maxFileBytes })));
      if (bytes.includes(0)) return `${path} is a binary file (${bytes.length} bytes). Inspect it with the terminal (file, xxd, …).`;
      const lines = bytes.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length === 0) return `${path} is empty.`;
      if (startLine > lines.length) throw new CairnError('invalid_input', `${path} has ${lines.length} lines; startLine ${startLine} is past the end.`);
      const shown = page(lines.slice(startLine - 1, startLine - 1 + maxLines));
      const last = startLine - 1 + shown.length;
      const width = String(last).length;
      const header = `${path} (${lines.length} lines, ${bytes.length} bytes)${startLine > 1 || last < lines.length ? `; lines ${startLine}-${last}` : ''}`;
      const more = last < lines.length ? `\n… ${lines.length - last} more lines: call again with startLine ${last + 1}.` : '';
      return `${header}\n${shown.map((line, i) => `${String(startLine + i).padStart(width)}│${line}`).join('\n')}${more}`;
    },
  };
}

/** The lines that fit in one page, from the first; a single line longer than the page is shown cut rather than not at all. */
function page(lines: string[]): string[] {
  const shown: string[] = [];
  let size = 0;
  for (const line of lines) {
    // The line number and its bar take about 8 characters.
    if (size + line.length + 8 > MAX_PAGE_CHARS && shown.length > 0) break;
    shown.push(line.length > MAX_PAGE_CHARS ? `${headOf(line, MAX_PAGE_CHARS)} [… line cut]` : line);
    size += Math.min(line.length, MAX_PAGE_CHARS) + 8;
  }
  return shown;
}

export function writeFileTool(options: ExecutionToolOptions): Tool<z.infer<typeof writeParameters>> {
  return {
    name: 'write_file',
    description: 'Create or replace a file in this conversation\'s environment with the given content (directories are created).',
    parameters: writeParameters,
    adminOnly: options.adminOnly,
    async execute({ path, content, encoding = 'utf8' }, context) {
      const data = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
      if (data.length > options.maxFileBytes) throw new CairnError('invalid_input', `The content is ${data.length} bytes; the limit is ${options.maxFileBytes}.`);
      const danger = findPathDanger(path);
      if (danger) await holdForApproval(options.approvals, context, { tool: 'write_file', backend: options.environments.backendFor(context.conversationId), command: path, danger });
      await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.writeFile(path, data));
      return `Wrote ${data.length} bytes to ${path}.`;
    },
  };
}

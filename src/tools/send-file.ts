/**
 * `send_file`: sends a file into the conversation, as an attachment people can download:
 * one from the session's environment (a report a script wrote, a chart, a patched config)
 * or content the model writes itself (a CSV, a script). The platform's own size limit
 * holds, and only it: `backends.maxFileBytes` is read_file's limit, for what enters the model's
 * context, which a sent file never does. Reading the environment follows the terminal's rule
 * (admins only, when `backends.adminOnly` says so).
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { FileTooLargeError } from '../backends/file-too-large.js';
import type { ExecutionToolOptions } from './terminal.js';
import type { Tool } from './registry.js';

const parameters = z.object({
  path: z.string().min(1).optional().describe("A file in this conversation's environment (where the terminal and write_file work)."),
  content: z.string().optional().describe('Or the text of the file itself (a CSV, a script, a config), when it is not in the environment.'),
  name: z.string().min(1).max(200).optional().describe('The file name people see, with its extension (required with content; default: the name in path).'),
  caption: z.string().max(1_000).optional().describe('A line sent with the file.'),
});

export function sendFileTool(options: Pick<ExecutionToolOptions, 'environments' | 'adminOnly'>): Tool<z.infer<typeof parameters>> {
  return {
    name: 'send_file',
    description: 'Send a file into this conversation as an attachment people can download: a file from the environment (path), or text you write (content and name). Say in your answer what you sent.',
    parameters,
    async execute(args, context) {
      const sender = context.sendFile;
      if (!sender) throw new CairnError('invalid_input', 'Files cannot be sent here (this platform or run takes none); put the content in your answer instead.');
      if ((args.path === undefined) === (args.content === undefined)) {
        throw new CairnError('invalid_input', `Give either path (a file in the environment) or content (with name), ${args.path === undefined ? 'one of them' : 'not both'}.`);
      }
      const name = fileName(args.name ?? (args.path ? posix.basename(args.path) : undefined));
      let bytes: Uint8Array;
      if (args.path !== undefined) {
        if (options.adminOnly && !context.isAdmin) throw new CairnError('permission', 'Only admins may have files sent from the environment here; send the content instead.');
        const path = args.path;
        try {
          bytes = await options.environments.use(context.sessionId, context.conversationId, (environment) => environment.readFile(path, { maxBytes: sender.maxBytes }));
        } catch (error) {
          throw error instanceof FileTooLargeError ? tooLarge(name, error.sizeBytes, context.platform, sender.maxBytes) : error;
        }
      } else {
        bytes = Buffer.from(args.content ?? '', 'utf8');
      }
      if (bytes.length > sender.maxBytes) throw tooLarge(name, bytes.length, context.platform, sender.maxBytes);
      await sender.send({ name, bytes }, args.caption ?? '');
      return `Sent ${name} (${size(bytes.length)}) into the conversation.`;
    },
  };
}

function tooLarge(name: string, bytes: number, platform: string, maxBytes: number): CairnError {
  return new CairnError('invalid_input', `${name} is ${size(bytes)}; ${platform} takes files up to ${size(maxBytes)}.`);
}

/**
 * A name people can download under: its last path part, without control characters or the
 * marks that turn text around (U+202E shows `invoice\u202Efdp.exe` as "invoiceexe.pdf").
 */
function fileName(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const name = posix.basename((raw ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (name === '' || name === '.' || name === '..') throw new CairnError('invalid_input', 'Give the file a name with its extension (name), e.g. report.csv.');
  return name;
}

function size(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

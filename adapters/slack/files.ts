/** Slack files the core may download, with the bot token (the app needs files:read), if it reads them. */
import { z } from 'zod';
import type { InboundFile } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import { PLATFORM, type SlackFile } from './normalize.js';

export function loadableFiles(files: readonly SlackFile[], token: string): InboundFile[] {
  return files.map(({ url, ...file }) => ({ ...file, load: (signal?: AbortSignal) => download(url, token, file.contentType === 'text/html', signal) }));
}

async function download(url: string, token: string, isHtml: boolean, signal?: AbortSignal): Promise<Uint8Array> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });
  // Without files:read Slack answers with its sign-in page instead of the file (which an
  // HTML file cannot be told apart from by its type, so for one the check is skipped).
  if (!response.ok || (!isHtml && (response.headers.get('content-type') ?? '').startsWith('text/html'))) {
    throw new CairnError('permission', 'Slack did not hand over the file: add the files:read scope to the app and reinstall it.', { platform: PLATFORM, status: response.status });
  }
  return new Uint8Array(await response.arrayBuffer());
}

const withFiles = z.object({ files: z.array(z.unknown()) });
const unnamedFile = z.object({ id: z.string().min(1), file_access: z.literal('check_file_info') });
const fileInfo = z.object({ file: z.object({ id: z.string() }).passthrough() });

/**
 * The event with its files complete. A file shared in a Slack Connect channel from a partner's
 * workspace comes as its id alone (`file_access: check_file_info`: no name, type or link), and
 * files.info (files:read) tells the rest; where it will not, the file stays unnamed and unread.
 */
export async function withFileInfo(event: unknown, info: (fileId: string) => Promise<unknown>, logger: Logger): Promise<unknown> {
  const parsed = withFiles.safeParse(event);
  if (!parsed.success || !parsed.data.files.some((file) => unnamedFile.safeParse(file).success)) return event;
  const files = await Promise.all(
    parsed.data.files.map(async (file) => {
      const unnamed = unnamedFile.safeParse(file);
      if (!unnamed.success) return file;
      try {
        return fileInfo.parse(await info(unnamed.data.id)).file;
      } catch (error) {
        logger.debug({ fileId: unnamed.data.id, err: describeError(error) }, 'Slack Connect file not looked up; it stays unread');
        return file;
      }
    }),
  );
  return { ...(event as object), files };
}

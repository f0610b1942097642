/** Slack files the core may download, with the bot token (the app needs files:read), if it reads them. */
import type { InboundFile } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
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

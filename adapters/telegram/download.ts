/**
 * A file a message carries, fetched when the core wants to read it: getFile, then the bytes.
 * Telegram's Bot API (and a self-hosted Bot API server) serve them at /file/bot<token>/<path>,
 * the token in the URL, so no error here may quote it. A self-hosted server run with --local
 * (the way past the 20 MB download limit) answers getFile with the file's absolute path on its
 * own disk instead, which that route does not serve: the file is read there, where this machine
 * sees that disk (the same host, or the server's folder mounted at the same path).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { File } from 'grammy/types';
import { CairnError, rootCause } from '../../src/core/errors.js';
import { proxyFailureIn } from '../../src/proxy/errors.js';
import { PLATFORM } from './normalize.js';

export interface DownloadSettings {
  botToken: string;
  apiRoot?: string | undefined;
  /** The fetch through the proxy, where one applies to the API root (check.ts telegramClient); Node's own otherwise. */
  fetch?: typeof fetch | undefined;
}

/** `getFile` makes the Bot API call (with the adapter's retries). */
export async function downloadFile(getFile: () => Promise<File>, settings: DownloadSettings, signal?: AbortSignal): Promise<Uint8Array> {
  const file = await getFile();
  if (!file.file_path) throw new CairnError('not_found', 'Telegram gave no path for the file.', { platform: PLATFORM });
  // Only a self-hosted server's: Telegram's own never names a path on this machine.
  if (settings.apiRoot && isAbsolute(file.file_path)) return readLocal(file.file_path, signal);
  let response: Response;
  try {
    response = await (settings.fetch ?? fetch)(`${settings.apiRoot ?? 'https://api.telegram.org'}/file/bot${settings.botToken}/${file.file_path}`, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw error;
    // The proxy's refusal says what to set; it names the host only.
    const atProxy = proxyFailureIn(error);
    if (atProxy) throw atProxy;
    // The URL holds the bot token: say why without it.
    throw new CairnError('network', `Could not download the file from Telegram (${(error instanceof Error && rootCause(error)?.message) || 'network error'}).`, { platform: PLATFORM, cause: error });
  }
  if (!response.ok) throw new CairnError('unavailable', `Telegram answered HTTP ${response.status} for the file.`, { platform: PLATFORM, status: response.status });
  return new Uint8Array(await response.arrayBuffer());
}

/** A --local server's file, from its disk. The path holds the bot token (the server keeps each bot's files under it): the error names only why. */
async function readLocal(path: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path, signal ? { signal } : {}));
  } catch (error) {
    if (signal?.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CairnError(
      'unavailable',
      `the Bot API server at TELEGRAM_API_ROOT runs with --local and keeps the file on its own disk, which Cairn cannot read here (${code}); run Cairn where it sees the server's files (the same host, or its folder mounted at the same path), or run the server without --local`,
      { platform: PLATFORM },
    );
  }
}

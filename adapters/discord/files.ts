/** Discord attachments the core may download (from their signed CDN links) if it reads them. */
import type { Message } from 'discord.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
import { PLATFORM, filesOf, type DiscordFile } from './normalize.js';

/** Lets the core download the message's attachments if it wants to read them. */
export function withFiles(inbound: InboundMessage, message: Message): InboundMessage {
  const files = filesOf(message);
  return files.length === 0 ? inbound : { ...inbound, files: loadable(files) };
}

/** Files the core may download, from their CDN links. */
export function loadable(files: readonly DiscordFile[]): InboundFile[] {
  return files.map(({ url, ...file }) => ({ ...file, load: (signal?: AbortSignal) => download(url, signal) }));
}

async function download(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  // Attachment URLs are signed CDN links: no token needed, and none to leak.
  const response = await fetch(url, signal ? { signal } : {});
  if (!response.ok) throw new CairnError('unavailable', `Discord answered HTTP ${response.status} for the file.`, { platform: PLATFORM, status: response.status });
  return new Uint8Array(await response.arrayBuffer());
}

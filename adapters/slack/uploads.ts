/**
 * Sharing files: files.uploadV2's three steps (ask for an upload URL, send the bytes, share),
 * each retried on its own. The last one shares the files, and a failure there may come after
 * it did (a 5xx, a timeout), so before sharing again Cairn asks files.info whether it did.
 * The app needs files:write, and files:read for that check.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { OutboundFile } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { CairnError, describeError, rootCause } from '../../src/core/errors.js';
import { mapSlackError } from './errors.js';
import { PLATFORM } from './normalize.js';

const uploadTarget = z.object({ upload_url: z.string().url(), file_id: z.string().min(1) });
const sharedFile = z.object({
  file: z.object({
    shares: z.object({ public: z.record(z.string(), z.unknown()).optional(), private: z.record(z.string(), z.unknown()).optional() }).optional(),
    channels: z.array(z.string()).optional(),
    groups: z.array(z.string()).optional(),
    ims: z.array(z.string()).optional(),
  }),
});

export interface Uploader {
  client: InstanceType<typeof webApi.WebClient>;
  token: string;
  logger: Logger;
  /** The adapter's retried call. */
  call<T>(operation: () => Promise<T>): Promise<T>;
}

export interface Share {
  channel: string;
  threadTs: string | undefined;
  /** Plain text shown with the files. */
  comment: string;
  files: [OutboundFile, ...OutboundFile[]];
}

interface Uploaded {
  id: string;
  title: string;
}

export async function shareFiles(uploader: Uploader, { channel, threadTs, comment, files }: Share): Promise<void> {
  const { client, call } = uploader;
  const uploaded: Uploaded[] = [];
  for (const file of files) {
    const target = uploadTarget.parse(await call(() => client.files.getUploadURLExternal({ filename: file.name, length: file.bytes.length })));
    await call(() => sendBytes(uploader.token, target.upload_url, file));
    uploaded.push({ id: target.file_id, title: file.name });
  }
  // One per file, and there is at least one.
  const all = uploaded as [Uploaded, ...Uploaded[]];
  const share = { files: all, channel_id: channel, ...(threadTs ? { thread_ts: threadTs } : {}), ...(comment ? { initial_comment: comment } : {}) };
  let tries = 0;
  await call(async () => {
    if (tries++ > 0 && (await isShared(uploader, all[0].id, channel))) return;
    await client.files.completeUploadExternal(share);
  });
}

/** What Cairn writes first in a person's own DM when files meant for them alone come there. */
export const ASKER_FILES_LEAD = 'What you asked for with /cairn in a DM with others, here where only you can see it:';

/**
 * The DM of Cairn and `user`, where files only they may see go: a file shared in a DM of others is
 * the other person's to read too (Slack cannot share one ephemerally), and files.completeUploadExternal
 * takes a channel's id (C…, G…, D…), never a user's. A message posted to a user's id goes to their DM
 * with the app and Slack's answer names that DM (conversations.open would need im:write): the lead says
 * where the files come from.
 */
export async function directChatWith({ client, call }: Uploader, user: string): Promise<string> {
  const posted = await call(() => client.chat.postMessage({ channel: user, text: ASKER_FILES_LEAD, mrkdwn: false }));
  if (typeof posted.channel === 'string' && /^[CGDZ]/.test(posted.channel)) return posted.channel;
  throw new CairnError('unavailable', `Slack did not say which direct chat with ${user} it posted to, so the files were not sent.`, { platform: PLATFORM });
}

/** The upload step: the bytes as they are, to the URL Slack gave. */
async function sendBytes(token: string, url: string, file: OutboundFile): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: file.bytes });
  } catch (error) {
    throw new CairnError('network', `Could not upload ${file.name} to Slack (${(error instanceof Error && rootCause(error)?.message) || 'network error'}).`, { platform: PLATFORM, isRetryable: true, cause: error });
  }
  await response.arrayBuffer();
  if (!response.ok) {
    const retryable = response.status === 429 || response.status >= 500;
    // A plain fetch, not the Web API client: its Retry-After is read here, or the retry would come before Slack allows it.
    const retryAfterMs = retryable ? retryAfterOf(response.headers.get('retry-after')) : undefined;
    throw new CairnError(response.status === 429 ? 'rate_limit' : retryable ? 'unavailable' : 'bad_request', `Slack refused the upload of ${file.name} (HTTP ${response.status}).`, {
      platform: PLATFORM,
      status: response.status,
      isRetryable: retryable,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
}

/** A Retry-After header in ms: seconds, or an HTTP date; undefined when absent or unreadable. */
function retryAfterOf(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Whether Slack shows the file shared in the channel (files.info); not knowing counts as no. */
async function isShared({ client, logger }: Uploader, fileId: string, channel: string): Promise<boolean> {
  try {
    const info = sharedFile.parse(await client.files.info({ file: fileId }));
    const { shares, channels = [], groups = [], ims = [] } = info.file;
    return Boolean(shares?.public?.[channel] ?? shares?.private?.[channel]) || [...channels, ...groups, ...ims].includes(channel);
  } catch (error) {
    logger.debug({ fileId, err: describeError(mapSlackError(error)) }, 'Slack files.info failed; sharing the file again');
    return false;
  }
}

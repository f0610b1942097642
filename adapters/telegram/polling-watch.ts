/**
 * What grammY's long polling says only in debug output, in Cairn's logs: getUpdates failing
 * (grammY retries every 3 s, for ever) and working again. A Bot API transformer, so it sees
 * every getUpdates call the polling loop makes.
 */
import type { Transformer } from 'grammy';
import { describeError, type CairnError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { mapTelegramError } from './errors.js';

/** An outage is reported once, then again at most this often while it lasts. */
const WARN_EVERY_MS = 60_000;

/** `onWorking` hears of every getUpdates that succeeded, `onFailing` of every one that failed (its error mapped). */
export function watchPolling(logger: Logger, now: () => number = Date.now, onWorking: () => void = () => {}, onFailing: (error: CairnError) => void = () => {}): Transformer {
  let failingSince: number | undefined;
  let lastWarning = Number.NEGATIVE_INFINITY;
  return async (prev, method, payload, signal) => {
    if (method !== 'getUpdates') return prev(method, payload, signal);
    try {
      const response = await prev(method, payload, signal);
      if (response.ok) onWorking();
      if (response.ok && failingSince !== undefined) {
        logger.info({ downMs: now() - failingSince }, 'Telegram long polling works again');
        failingSince = undefined;
        lastWarning = Number.NEGATIVE_INFINITY;
      }
      return response;
    } catch (error) {
      // Stopping the bot aborts the pending getUpdates: that is no outage.
      if (!signal?.aborted) {
        failingSince ??= now();
        const mapped = mapTelegramError(error);
        if (now() - lastWarning >= WARN_EVERY_MS) {
          lastWarning = now();
          logger.warn({ err: describeError(mapped) }, 'Telegram long polling failed; retrying every 3 s');
        }
        onFailing(mapped);
      }
      throw error;
    }
  };
}

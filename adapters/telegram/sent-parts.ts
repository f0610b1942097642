/**
 * A reply with buttons that went out in several messages (Telegram's 4,096-character limit)
 * is named by one reference, its messages' ids in order (`1001,1002`), so that an edit (an
 * approval request once decided) changes each part in place: the new text's first part in the
 * first message, and so on. A new text in more parts sends the rest below; in fewer, the
 * messages left over are deleted.
 */
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { RenderedPart } from './render.js';

/** The reference `send` resolves with: every part's message id. */
export function partsRef(messageIds: readonly number[]): string {
  return messageIds.join(',');
}

/** The message ids of a reference (one id: a reply in one message). */
export function partIdsOf(ref: string): number[] {
  return ref
    .split(',')
    .map(Number)
    .filter((id) => Number.isSafeInteger(id) && id > 0);
}

export interface PartMessages {
  /** Shows a part in a message sent before (without buttons). */
  edit(messageId: number, part: RenderedPart): Promise<void>;
  /** Sends a part the old text had no message for. */
  send(part: RenderedPart): Promise<unknown>;
  /** Deletes a message the new text no longer needs. */
  remove(messageId: number): Promise<unknown>;
  /** Takes the buttons away from a message. */
  unbutton(messageId: number): Promise<unknown>;
}

export async function editParts(ref: string, parts: readonly RenderedPart[], messages: PartMessages, logger: Logger): Promise<void> {
  const ids = partIdsOf(ref);
  // An empty text would leave nothing to show: the messages stay as they are.
  if (parts.length === 0 || ids.length === 0) return;
  for (const [index, part] of parts.entries()) {
    const messageId = ids[index];
    await (messageId === undefined ? messages.send(part) : messages.edit(messageId, part));
  }
  const last = ids.at(-1);
  for (const messageId of ids.slice(parts.length)) {
    try {
      await messages.remove(messageId);
    } catch (error) {
      // Telegram lets a bot delete its messages for 48 hours only. The old part stays; the buttons,
      // under the last one, must not (a press would ask again what was settled).
      logger.warn({ messageId, err: describeError(error) }, 'Telegram message of an edited reply could not be deleted; it keeps its old text');
      if (messageId === last) await messages.unbutton(messageId).catch((again: unknown) => logger.warn({ messageId, err: describeError(again) }, 'Telegram buttons could not be taken away'));
    }
  }
}

/**
 * An answer posted through an interaction's token (`/ask`, "Ask Cairn", a button press): the
 * first part edits the deferred reply (or the streamed draft), the rest follow it up. The
 * token lasts 15 minutes; when it runs out between parts, the caller posts in the channel
 * only the parts that did not go out (`progress.sent`), not the whole answer again.
 */
import type { ButtonInteraction, ChatInputCommandInteraction, MessageContextMenuCommandInteraction } from 'discord.js';
import type { CairnError } from '../../src/core/errors.js';
import { describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { OutboundFile } from '../../src/core/message.js';
import { isMarkupRejection } from './errors.js';
import { partsWithFiles, plainParts, type ActionRow } from './render.js';
import { NO_PINGS, SUPPRESS_EMBEDS } from './channel-messages.js';

/** An interaction Cairn answers in its deferred reply: a slash command, "Ask Cairn" on a message, or a press of its button. */
export type AnsweredInteraction = ChatInputCommandInteraction | ButtonInteraction | MessageContextMenuCommandInteraction;

export interface InteractionAnswerDeps {
  /** Runs one Discord call with the adapter's retries. */
  call: <T>(operation: () => Promise<T>) => Promise<T>;
  /** Keeps a posted message as a reply of the turn (for reactions to it). */
  remember: (messageId: string | undefined) => void;
  logger: Logger;
}

/** Posts the answer; resolves with the id of the last message (the one with the buttons). `progress.sent` counts the parts that went out. */
export async function answerInteraction(
  deps: InteractionAnswerDeps,
  interaction: AnsweredInteraction,
  answer: { text: string; files: OutboundFile[]; components?: ActionRow[] | undefined },
  into: string | undefined,
  progress: { sent: number },
): Promise<string | undefined> {
  const parts = partsWithFiles(answer.text, answer.files);
  let lastId: string | undefined;
  const posted = (id: string | undefined) => {
    lastId = id;
    deps.remember(id);
  };
  for (const [index, part] of parts.entries()) {
    const attachments = part.files.map((file) => ({ attachment: Buffer.from(file.bytes), name: file.name }));
    // What goes last (files, buttons) goes with the piece that carries the files.
    const last = index === parts.length - 1 ? answer.components : undefined;
    const send = (content: string, withFiles: boolean, edit: boolean) => {
      const body = { content, allowedMentions: NO_PINGS, flags: SUPPRESS_EMBEDS, ...(withFiles && attachments.length > 0 ? { files: attachments } : {}), ...(withFiles && last ? { components: last } : {}) };
      return into && edit ? interaction.editReply({ ...body, message: into }) : interaction.followUp(body);
    };
    try {
      posted((await deps.call(() => send(part.content, true, index === 0))).id);
    } catch (error) {
      if (into && index === 0 && !isMarkupRejection(error as CairnError)) {
        // The message to edit is gone (a deleted follow-up, an expired token): follow up anew.
        deps.logger.warn({ err: describeError(error) }, 'Discord reply could not be edited; following up instead');
        posted((await deps.call(() => send(part.content, true, false))).id);
        progress.sent = index + 1;
        continue;
      }
      if (!isMarkupRejection(error as CairnError)) throw error;
      // Escaping can make more pieces of one part: only the first goes into the edited message.
      const plain = plainParts(part.content);
      for (const [at, piece] of plain.entries()) posted((await deps.call(() => send(piece, at === plain.length - 1, index === 0 && at === 0))).id);
    }
    progress.sent = index + 1;
  }
  return lastId;
}

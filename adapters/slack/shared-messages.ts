/**
 * Messages a person forwards into a conversation. Slack sends a forward as an attachment of
 * the forwarding message (`is_share`; a link to a Slack message unfurls the same way,
 * `is_msg_unfurl`): the message's own text is only the comment typed with it, or nothing.
 * The forwarded words are read from the attachment, in Slack's markup.
 */
import { z } from 'zod';

const sharedMessage = z.object({
  is_share: z.boolean().optional(),
  is_msg_unfurl: z.boolean().optional(),
  author_name: z.string().optional(),
  text: z.string().optional(),
  // A forward of a message that had only blocks: its text is in the copy of the message.
  message_blocks: z.array(z.object({ message: z.object({ text: z.string().optional() }).optional() })).optional(),
});

/** The most forwarded messages read from one message. */
const MOST_SHARED = 10;

/**
 * The forwarded messages among a message's attachments: who wrote each (where Slack says) and
 * its text. Link previews and bots' attachments are not forwards; an attachment of another
 * shape is skipped, never failing the message it came with.
 */
export function forwardedMessages(attachments: unknown): { author: string | undefined; text: string }[] {
  if (!Array.isArray(attachments)) return [];
  return attachments.slice(0, MOST_SHARED).flatMap((attachment) => {
    const parsed = sharedMessage.safeParse(attachment);
    if (!parsed.success || !(parsed.data.is_share || parsed.data.is_msg_unfurl)) return [];
    const { author_name: author, text, message_blocks: copies } = parsed.data;
    const said = text?.trim() ? text : (copies ?? []).map((copy) => copy.message?.text ?? '').join('\n');
    return said.trim() ? [{ author: author?.trim() || undefined, text: said }] : [];
  });
}

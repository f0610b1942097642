/**
 * The user's control over their notes in chat: `/memory` shows what Cairn remembers
 * about the sender (with ids), `/memory <words>` searches it, `/forget <id>` and
 * `/forget all` delete. Always the sender's own notes; in a group `/memory` answers
 * only in a direct message, so no one's notes are shown to a channel.
 */
import type { CommandRegistry } from '../../core/commands.js';
import type { ForgetNotes } from '../forget.js';
import type { Notes } from './index.js';
import type { Note } from './types.js';
import { renderNote } from './recall.js';

const LIST_LIMIT = 30;

/**
 * `forget`: the forget procedure shared with `cairn memory forget` (memory/forget.ts). `timeZone`:
 * CAIRN_TZ, or the zone of each person (time-zones/), that each note's day is shown in (a note written
 * at 08:30 in Tokyo is of that day).
 */
export function registerMemoryCommands(commands: CommandRegistry, notes: Notes, forget: ForgetNotes, timeZone: string | ((person: string) => string) = 'UTC'): void {
  const zoneOf = typeof timeZone === 'string' ? () => timeZone : timeZone;
  commands.register({
    name: 'memory',
    usage: 'memory [words]',
    description: 'what I remember about you, with ids (add words to search it)',
    run: async ({ message, args }) => {
      if (!message.isDirect) return 'I only show your notes in a direct message. Send me /memory there.';
      const userId = message.userId;
      const render = (note: Note) => renderNote(note, zoneOf(userId));
      if (args) {
        const hits = await notes.search.search(userId, args, { limit: 10 });
        return hits.length > 0 ? [`Notes matching "${args}":`, ...hits.map((hit) => render(hit.note))].join('\n') : `No notes match "${args}".`;
      }
      const owner = notes.store.owner(userId);
      const listed = notes.store.list(userId, { limit: LIST_LIMIT });
      if (listed.length === 0) return "I don't remember anything about you yet. Ask me to remember something, or just talk: I keep notes when a conversation ends.";
      const total = owner?.notes ?? listed.length;
      const more = total - listed.length;
      return [
        `What I remember about you (${total} ${total === 1 ? 'note' : 'notes'}):`,
        ...listed.map(render),
        ...(more > 0 ? [`…and ${more} more. Use /memory <words> to search them.`] : []),
        'Delete one with /forget <id>, or everything with /forget all.',
      ].join('\n');
    },
  });
  commands.register({
    name: 'forget',
    usage: 'forget <id>|all',
    description: 'delete one of your notes, or all of them',
    run: ({ message, args }) => {
      const userId = message.userId;
      const target = args.trim().toLowerCase();
      if (target === 'all') {
        const { deleted, files, ended } = forget(userId, 'all');
        const alsoFiles = files > 0 ? ` Also deleted the ${files === 1 ? 'file' : `${files} files`} you sent that I had kept.` : '';
        if (deleted === 0) return `You have no notes to delete.${alsoFiles}${startedAfresh(ended)}`;
        return `${deleted === 1 ? 'Deleted your one note' : `Deleted all ${deleted} of your notes`}. I won't keep notes from what you said before now.${alsoFiles}${startedAfresh(ended, deleted === 1 ? 'it is' : 'they are')}`;
      }
      // As /memory shows it ("[12]"), with a # or bare.
      const id = /^(?:#|\[)?(\d{1,15})\]?$/.exec(target)?.[1];
      if (!id) return 'Say which note: /forget <id> (the ids are in /memory), or /forget all.';
      const { deleted, ended } = forget(userId, Number(id));
      // Another user's id reads exactly like a missing one: ids reveal nothing.
      if (deleted === 0) return `You have no note ${id}. /memory lists your notes with their ids.`;
      return `Deleted note ${id}.${startedAfresh(ended, 'it is')}`;
    },
  });
}

/** Said when `/forget` ended conversations: what was deleted may still have been in them. */
function startedAfresh(ended: number, deleted?: 'it is' | 'they are'): string {
  if (ended === 0) return '';
  return deleted ? ` Our conversation starts afresh, so ${deleted} out of what I see too.` : ' Our conversation starts afresh.';
}

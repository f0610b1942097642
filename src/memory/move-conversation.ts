/**
 * A conversation that moved to a new id (a Telegram group that became a supergroup: its messages
 * come from the new chat from then on). Its sessions (the conversation so far, with its summary),
 * its `/model` choice and the files people sent in it go with it, with those of the conversations
 * inside it (topics, members' own sessions): without this the group started over with no context,
 * on the default model, and `read_attachment` found none of its files. The learning tasks recorded
 * there go too: typed `/feedback` in the supergroup looks for the sender's latest answer under the
 * new id, and said it knew of none. Scheduled tasks move on their own (`Schedules.moveConversation`).
 *
 * A session already going on under the new id (a message that came from there before the move was
 * known) stays the active one: the old active session moves as ended history, not beside it.
 */
import type { Db } from '../store/db.js';

/** The conversation and those inside it (`telegram:-100` and `telegram:-100:7`); substr, not LIKE, so no id is read as a pattern. */
const WITHIN = "(conversation_id = @place OR substr(conversation_id, 1, length(@place) + 1) = @place || ':')";
const MOVED = '@to || substr(conversation_id, length(@place) + 1)';

export interface MovedRecords {
  sessions: number;
  models: number;
  files: number;
  tasks: number;
}

export function moveConversationRecords(db: Db, from: string, to: string): MovedRecords {
  const params = { place: from, to };
  const move = db.transaction((): MovedRecords => {
    const now = Date.now();
    // An active session whose new id already has one is ended first: only one may be active there. It is
    // condensed into notes by the next start, as any session a process ended without its extraction queue.
    db.prepare(
      `UPDATE sessions SET status = 'ended', ended_at = @now, end_reason = 'moved', notes_state = 'pending'
       WHERE ${WITHIN} AND status = 'active'
         AND EXISTS (SELECT 1 FROM sessions AS there WHERE there.status = 'active' AND there.conversation_id = ${MOVED.replace('conversation_id', 'sessions.conversation_id')})`,
    ).run({ ...params, now });
    const sessions = db.prepare(`UPDATE sessions SET conversation_id = ${MOVED} WHERE ${WITHIN}`).run(params).changes;
    // A choice made in the new chat meanwhile is the newer one: it stays.
    const models = db.prepare(`UPDATE OR IGNORE conversation_models SET conversation_id = ${MOVED} WHERE ${WITHIN}`).run(params).changes;
    db.prepare(`DELETE FROM conversation_models WHERE ${WITHIN}`).run(params);
    const files = db.prepare(`UPDATE attachments SET conversation_id = ${MOVED} WHERE ${WITHIN}`).run(params).changes;
    const tasks = db.prepare(`UPDATE tasks SET conversation_id = ${MOVED} WHERE ${WITHIN}`).run(params).changes;
    return { sessions, models, files, tasks };
  });
  return move.immediate();
}

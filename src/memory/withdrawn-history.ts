/**
 * A message its sender deleted leaves what Cairn keeps (core/withdrawals.ts says when): the stored user message it
 * became (found by message_sources, migration 037; a batch it was sent in goes whole), and Cairn's turn for it (its
 * tool calls and results, its answer), since an answer to a question nobody can see any more misleads the model, and
 * may repeat what was deleted. The tasks recorded for that turn keep their outcome and counts but lose their words
 * (request, answer, steps, reflections), as /forget's do. Someone who pasted a password and deleted it at once found
 * it still in the session, read by every later turn and by notes extraction when the session ended.
 *
 * The rows are overwritten, not only unlinked (`secure_delete` for this transaction), and the write-ahead log is
 * emptied after (a checkpoint that truncates it), so the text is not left in the database's free pages or old
 * log frames. Notes already drawn from an ended session, and a summary that folded the message in, are not changed.
 */
import type { Db } from '../store/db.js';
import { FORGET_TASK_WORDS_SQL, FORGOTTEN_TASK_TEXT, WITHDRAWN_TASK_TEXT } from '../learning/tasks.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** A deleted message, as its adapter named it (InboundMessage.withdrawn). */
export interface WithdrawnMessage {
  platform: string;
  conversationId: string;
  messageId: string;
}

export interface RemovedFromHistory {
  /** Stored messages deleted (the user message and its turn's). */
  messages: number;
  /** The requests of the tasks whose words went (their quotes in audit reports go too: learning/forgotten-quotes.ts). */
  requests: string[];
}

/** Deletes what the history holds of the deleted message and Cairn's turn for it. */
export function removeWithdrawn(db: Db, withdrawn: WithdrawnMessage, logger: Logger): RemovedFromHistory {
  const statements = {
    // The message and its edits (`<id>:edit:<when>`): ':' < ';' bounds the edits' ids.
    rows: db.prepare<{ platform: string; id: string }, { session_id: string; seq: number }>(
      `SELECT DISTINCT session_id, seq FROM message_sources WHERE platform = @platform
         AND (message_id = @id OR (message_id >= @id || ':edit:' AND message_id < @id || ':edit;'))`,
    ),
    sources: db.prepare<[string, number], string>('SELECT message_id FROM message_sources WHERE session_id = ? AND seq = ?').pluck(),
    nextAsked: db.prepare<[string, number], number | null>("SELECT MIN(seq) FROM messages WHERE session_id = ? AND seq > ? AND role = 'user'").pluck(),
    conversation: db.prepare<[string], string>('SELECT conversation_id FROM sessions WHERE id = ?').pluck(),
    deleteTurn: db.prepare<[string, number, number]>('DELETE FROM messages WHERE session_id = ? AND seq >= ? AND seq < ?'),
    tasks: db.prepare<[string, string, string, string], { id: number; request: string }>(
      'SELECT id, request FROM tasks WHERE conversation_id = ? AND message_id IN (SELECT value FROM json_each(?)) AND request NOT IN (?, ?)',
    ),
    forgetWords: db.prepare<[{ id: number; text: string }]>(FORGET_TASK_WORDS_SQL),
    forgetReflections: db.prepare<[number]>('DELETE FROM reflections WHERE task_id = ?'),
  };
  const secure = db.pragma('secure_delete', { simple: true });
  db.pragma('secure_delete = ON');
  let removed: RemovedFromHistory;
  try {
    removed = db.transaction((): RemovedFromHistory => {
      let messages = 0;
      const requests: string[] = [];
      const forgetTasks = (conversationId: string, ids: readonly string[]) => {
        for (const task of statements.tasks.all(conversationId, JSON.stringify(ids), FORGOTTEN_TASK_TEXT, WITHDRAWN_TASK_TEXT)) {
          statements.forgetWords.run({ id: task.id, text: WITHDRAWN_TASK_TEXT });
          statements.forgetReflections.run(task.id);
          requests.push(task.request);
        }
      };
      // A task whose stored messages are gone already (the history sweep) is still found by the message it answered.
      forgetTasks(withdrawn.conversationId, [withdrawn.messageId]);
      for (const { session_id: sessionId, seq } of statements.rows.all({ platform: withdrawn.platform, id: withdrawn.messageId })) {
        // A batch's task names the batch's last message: every message of the row is looked for.
        const ids = statements.sources.all(sessionId, seq);
        const conversationId = statements.conversation.get(sessionId);
        if (conversationId !== undefined) forgetTasks(conversationId, ids);
        // The turn runs to the next message someone sent there (a stopped turn's part too: nothing follows it yet).
        const end = statements.nextAsked.get(sessionId, seq) ?? Number.MAX_SAFE_INTEGER;
        messages += statements.deleteTurn.run(sessionId, seq, end).changes;
      }
      return { messages, requests };
    }).immediate();
  } finally {
    db.pragma(`secure_delete = ${Number(secure)}`);
  }
  if (removed.messages > 0 || removed.requests.length > 0) emptyLog(db, logger);
  return removed;
}

/** Old log frames hold the rows as they were: copied into the database (now overwritten) and the log cut to nothing. */
function emptyLog(db: Db, logger: Logger): void {
  try {
    // A reader in another process (`cairn chat`) may hold the log: then it is emptied by a later checkpoint instead.
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy) logger.info('a deleted message’s old copy stays in the write-ahead log until another process lets go of it');
  } catch (error) {
    logger.warn({ err: describeError(error) }, 'the write-ahead log could not be emptied after a deleted message was removed');
  }
}

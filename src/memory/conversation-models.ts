/** The model each conversation was switched to with `/model`: it outlasts the session, until `/model default`. */
import type { Db } from '../store/db.js';

export interface ConversationModel {
  model: string;
  /** The switcher's user id. */
  setBy: string;
  /** Their name as the platform gave it; absent for switches from before it was kept. */
  setByName?: string | undefined;
  setAt: number;
}

export class ConversationModels {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare<[string], { model: string; set_by: string; set_by_name: string | null; set_at: number }>('SELECT model, set_by, set_by_name, set_at FROM conversation_models WHERE conversation_id = ?'),
      set: db.prepare('INSERT INTO conversation_models (conversation_id, model, set_by, set_by_name, set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET model = excluded.model, set_by = excluded.set_by, set_by_name = excluded.set_by_name, set_at = excluded.set_at'),
      clear: db.prepare('DELETE FROM conversation_models WHERE conversation_id = ?'),
    };
  }

  get(conversationId: string): ConversationModel | undefined {
    const row = this.statements.get.get(conversationId);
    return row ? { model: row.model, setBy: row.set_by, setByName: row.set_by_name ?? undefined, setAt: row.set_at } : undefined;
  }

  set(conversationId: string, model: string, setBy: { userId: string; userName?: string | undefined }, now: number): void {
    this.statements.set.run(conversationId, model, setBy.userId, setBy.userName?.trim() || null, now);
  }

  /** False when the conversation had no model of its own. */
  clear(conversationId: string): boolean {
    return this.statements.clear.run(conversationId).changes > 0;
  }
}

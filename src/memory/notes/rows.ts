/** The notes table's row shape and its mapping to `Note`. */
import type { Note, NoteOrigin, NoteTrust } from './types.js';

export interface NoteRow {
  id: number;
  owner_id: number;
  text: string;
  kind: string;
  origin: NoteOrigin;
  trust: NoteTrust;
  source_session: string | null;
  pinned: number;
  superseded_by: number | null;
  external_id: string | null;
  created_at: number;
  updated_at: number;
}

/** The columns of `NoteRow`, qualified by the alias `n`. */
export const NOTE_COLUMNS =
  'n.id, n.owner_id, n.text, n.kind, n.origin, n.trust, n.source_session, n.pinned, n.superseded_by, n.external_id, n.created_at, n.updated_at';

export function toNote(row: NoteRow, userId: string): Note {
  return {
    id: row.id,
    userId,
    text: row.text,
    kind: row.kind,
    origin: row.origin,
    trust: row.trust,
    sourceSession: row.source_session ?? undefined,
    pinned: row.pinned === 1,
    supersededBy: row.superseded_by ?? undefined,
    externalId: row.external_id ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The shapes of the notes layer. */

/** Kinds the model and the tools write; imports may carry any short kind of their own. */
export const NOTE_KINDS = ['fact', 'preference', 'decision', 'solution', 'pattern', 'note'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** Who wrote a note: the user (asked to keep it), the model (extracted it), or an import. */
export type NoteOrigin = 'user' | 'model' | 'import';
export type NoteTrust = 'high' | 'medium' | 'low';

/** What each origin is trusted with by default: the user's own words most, an inference least. */
export const DEFAULT_TRUST: Record<NoteOrigin, NoteTrust> = { user: 'high', import: 'medium', model: 'low' };

export interface Note {
  id: number;
  userId: string;
  text: string;
  kind: string;
  origin: NoteOrigin;
  trust: NoteTrust;
  sourceSession: string | undefined;
  pinned: boolean;
  supersededBy: number | undefined;
  externalId: string | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface NewNote {
  text: string;
  kind: string;
  origin: NoteOrigin;
  trust?: NoteTrust;
  sourceSession?: string | undefined;
  pinned?: boolean;
  externalId?: string | undefined;
  createdAt: number;
  updatedAt?: number;
}

export interface SearchFilters {
  /** Inclusive lower bound, ms since the epoch. */
  since?: number | undefined;
  /** Inclusive upper bound, ms since the epoch. */
  until?: number | undefined;
  kind?: string | undefined;
}

export interface SearchOptions extends SearchFilters {
  limit?: number | undefined;
}

export interface SearchHit {
  note: Note;
  /** Higher is better; comparable within one result list only. */
  score: number;
}

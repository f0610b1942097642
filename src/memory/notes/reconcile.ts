/**
 * Reconciliation: new notes from an extraction against the user's existing ones.
 * A note that says nothing an existing note does not already say is a duplicate (the
 * existing note is confirmed instead); a note the model marks as replacing an
 * existing one supersedes it, unless that one was written by the user (the model
 * does not overrule the user's own words: both are kept); anything else is added.
 */
import type { BatchChange } from './store.js';
import type { Note, NoteKind } from './types.js';
import { isStopword, wordTokens } from './query.js';
import { stem } from './stemmer.js';

export interface ExtractedNote {
  text: string;
  kind: NoteKind;
  /** Id of an existing note this one corrects or updates. */
  replaces?: number | undefined;
}

export interface ReconcileContext {
  sessionId: string;
  now: number;
}

export interface Reconciliation {
  changes: BatchChange[];
  added: number;
  superseded: number;
  duplicates: number;
}

/** Jaccard similarity of content stems at which two notes say the same thing. */
const SAME_NOTE = 0.8;

export function reconcile(extracted: readonly ExtractedNote[], existing: readonly Note[], context: ReconcileContext): Reconciliation {
  const result: Reconciliation = { changes: [], added: 0, superseded: 0, duplicates: 0 };
  const live = existing.filter((note) => note.supersededBy === undefined);
  const byId = new Map(live.map((note) => [note.id, note]));
  const known = live.map((note) => ({ id: note.id as number | undefined, stems: contentStems(note.text) }));
  const replaced = new Set<number>();
  const confirmed = new Set<number>();

  for (const note of extracted) {
    const stems = contentStems(note.text);
    if (stems.size === 0) continue;
    const target = note.replaces === undefined ? undefined : byId.get(note.replaces);
    // An update may say less than the note it replaces ("now prefers spaces"), so only
    // an identical wording counts as a duplicate of its target.
    const duplicate = known.find((other) => (target && other.id === target.id ? identical(stems, other.stems) : sameNote(stems, other.stems)));
    if (duplicate) {
      result.duplicates++;
      if (duplicate.id !== undefined && !confirmed.has(duplicate.id)) {
        confirmed.add(duplicate.id);
        result.changes.push({ type: 'confirm', id: duplicate.id, at: context.now });
      }
      continue;
    }
    const fields = { text: note.text, kind: note.kind, origin: 'model' as const, sourceSession: context.sessionId, createdAt: context.now };
    if (target && target.origin !== 'user' && !replaced.has(target.id)) {
      replaced.add(target.id);
      result.changes.push({ type: 'supersede', note: fields, replaces: target.id });
      result.superseded++;
    } else {
      result.changes.push({ type: 'add', note: fields });
      result.added++;
    }
    // Later notes of the same batch are checked against this one too.
    known.push({ id: undefined, stems });
  }
  return result;
}

/** Stemmed words that carry content, for comparing what two notes say; any negation counts as one word, NOT. */
export function contentStems(text: string): Set<string> {
  const tokens = wordTokens(text);
  const stems = new Set(tokens.filter((token) => !isStopword(token) && token !== 'user').map(stem));
  if (tokens.some((token) => NEGATIONS.has(token))) stems.add(NEGATED);
  return stems;
}

/** Negations are stopwords to search, but "Ada does not like coffee" says the opposite of "Ada likes coffee". */
const NEGATIONS = new Set('not no nor never none nothing neither don didn doesn isn wasn aren weren won wouldn shouldn couldn haven hasn hadn cannot'.split(' '));
const NEGATED = '\u0000not';

/** The same note: one adds no word the other lacks, or they overlap almost entirely; never one that negates the other. */
export function sameNote(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size === 0 || b.size === 0) return false;
  if (a.has(NEGATED) !== b.has(NEGATED)) return false;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  if (shared === a.size) return true;
  return shared / (a.size + b.size - shared) >= SAME_NOTE;
}

function identical(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/**
 * Reconciliation: new notes from an extraction against the user's existing ones.
 * A note that says nothing an existing note does not already say is a duplicate (the
 * existing note is confirmed instead); a note the model marks as replacing an
 * existing one supersedes it, unless that one was written by the user (the model
 * does not overrule the user's own words: both are kept). When another note says the
 * update word for word already, that note replaces it instead. An update from a conversation
 * older than the note it names (a retried extraction) becomes that note's older version. Anything
 * else is added.
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
  const reconciler = new Reconciler(existing, context);
  for (const note of extracted) reconciler.take(note);
  return reconciler.result;
}

/** A note seen so far: an existing one (`id`), or one of this batch (`change`, which writes it). */
interface KnownNote {
  id?: number;
  change?: Extract<BatchChange, { type: 'add' | 'supersede' }>;
  stems: Set<string>;
}

class Reconciler {
  readonly result: Reconciliation = { changes: [], added: 0, superseded: 0, duplicates: 0 };
  private readonly byId: Map<number, Note>;
  private readonly known: KnownNote[];
  private readonly replaced = new Set<number>();
  private readonly confirmed = new Set<number>();

  constructor(
    existing: readonly Note[],
    private readonly context: ReconcileContext,
  ) {
    const live = existing.filter((note) => note.supersededBy === undefined);
    this.byId = new Map(live.map((note) => [note.id, note]));
    this.known = live.map((note) => ({ id: note.id, stems: contentStems(note.text) }));
  }

  take(note: ExtractedNote): void {
    const stems = contentStems(note.text);
    if (stems.size === 0) return;
    const target = note.replaces === undefined ? undefined : this.byId.get(note.replaces);
    const replaceable = target && target.origin !== 'user' && !this.replaced.has(target.id) ? target : undefined;
    // An update may share most of its words with another note ("works at Globex" beside "Ada's
    // partner works at Globex"), or say less than the note it replaces ("now prefers spaces"): so
    // only an identical wording makes an update a duplicate, or any note one of the target it keeps.
    const duplicate = this.known.find((other) => (replaceable || other.id === target?.id ? identical(stems, other.stems) : sameNote(stems, other.stems)));
    if (duplicate) {
      this.result.duplicates++;
      if (duplicate.id !== undefined) this.confirm(duplicate.id);
      // Another note says the update already: the note it replaces is out of date all the same.
      // Not one written after this conversation (a retried extraction): that one is newer than what was said.
      if (replaceable && duplicate.id !== replaceable.id && replaceable.createdAt <= this.context.now) this.retire(replaceable.id, duplicate);
      return;
    }
    const fields = { text: note.text, kind: note.kind, origin: 'model' as const, sourceSession: this.context.sessionId, createdAt: this.context.now };
    // The note it would replace was written after this conversation (one whose extraction failed while
    // the model was down, retried at a later start): what was said then is older than that note, so it
    // goes into the note's history instead of replacing it ("lives in Porto", said in March, is not
    // newer than "lives in Lisbon", said in April).
    if (replaceable && replaceable.createdAt > this.context.now) {
      this.replaced.add(replaceable.id);
      this.result.added++;
      this.result.changes.push({ type: 'history', note: fields, of: replaceable.id });
      return;
    }
    const change: KnownNote['change'] = replaceable ? { type: 'supersede', note: fields, replaces: [replaceable.id] } : { type: 'add', note: fields };
    if (replaceable) this.replaced.add(replaceable.id);
    this.result[replaceable ? 'superseded' : 'added']++;
    this.result.changes.push(change);
    // Later notes of the same batch are checked against this one too.
    this.known.push({ change, stems });
  }

  private confirm(id: number): void {
    if (this.confirmed.has(id)) return;
    this.confirmed.add(id);
    this.result.changes.push({ type: 'confirm', id, at: this.context.now });
  }

  /** Retires note `id` in favour of `by`: an existing note, or one this batch writes (which then supersedes it too). */
  private retire(id: number, by: KnownNote): void {
    this.replaced.add(id);
    this.result.superseded++;
    if (by.id !== undefined) {
      this.result.changes.push({ type: 'retire', id, by: by.id, at: this.context.now });
    } else if (by.change?.type === 'supersede') {
      by.change.replaces.push(id);
    } else if (by.change) {
      const index = this.result.changes.indexOf(by.change);
      by.change = { type: 'supersede', note: by.change.note, replaces: [id] };
      this.result.changes[index] = by.change;
      this.result.added--;
    }
  }
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

/**
 * The same note, for an extracted one: `a` adds no word `b` lacks, or they overlap almost
 * entirely; never one that negates the other.
 */
export function sameNote(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (!comparable(a, b)) return false;
  const shared = sharedCount(a, b);
  return shared === a.size || overlapAlmostEntirely(a, b, shared);
}

/**
 * The same note either way round: they overlap almost entirely (memory_save). Holding all of a
 * note's words is not enough here: "Ada works at Globex" is not "Ada's partner works at Globex",
 * and the note found would be made the user's own.
 */
export function sayTheSame(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return comparable(a, b) && overlapAlmostEntirely(a, b, sharedCount(a, b));
}

/**
 * Jaccard ≥ SAME_NOTE, with the same numbers: in a long note one changed number is a small share of
 * its words, yet "flat 3" is not "flat 5", nor rent of 1450 that of 1200 (the correction was dropped).
 */
function overlapAlmostEntirely(a: ReadonlySet<string>, b: ReadonlySet<string>, shared: number): boolean {
  if (shared / (a.size + b.size - shared) < SAME_NOTE) return false;
  const numbers = (stems: ReadonlySet<string>) => [...stems].filter((item) => HAS_DIGIT.test(item));
  const ours = numbers(a);
  const theirs = numbers(b);
  return ours.length === theirs.length && ours.every((item) => b.has(item));
}

const HAS_DIGIT = /\p{N}/u;

function comparable(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size > 0 && b.size > 0 && a.has(NEGATED) === b.has(NEGATED);
}

function sharedCount(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared;
}

function identical(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

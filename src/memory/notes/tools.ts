/**
 * The model's memory tools. Both act for the person who sent the current message
 * (the tool context's user), never for anyone the model names.
 */
import { z } from 'zod';
import type { Tool } from '../../tools/registry.js';
import { NOTE_KINDS, type Note } from './types.js';
import type { Notes } from './index.js';
import { parseInstant } from './instant.js';
import { hasWords } from './search.js';
import { isoInZone } from './local-time.js';
import { NotePlaces } from './places.js';
import { isTimeZone, shortZoneProblem } from '../../config/time-zone.js';

/** `timeZone`: CAIRN_TZ, where a date or time without an offset is read when the person's own zone is unknown (as current_time gives the date). */
function searchParameters(timeZone: string) {
  return z.object({
    query: z.string().max(2_000).default('').describe('Words to look for; empty lists the newest notes within the other filters'),
    since: z.string().optional().describe(`Only notes written on or after this ISO 8601 date or time, e.g. 2026-03-01 (in the zone of the person speaking, as current_time gives it, unless it has an offset)`),
    until: z.string().optional().describe(`Only notes written on or before this ISO 8601 date or time (in their zone unless it has an offset; a date means through the end of that day)`),
    kind: z.enum(NOTE_KINDS).optional().describe('Only notes of this kind'),
    limit: z.number().int().min(1).max(25).default(8).describe('Most notes to return (default 8)'),
    timeZone: z
      .string()
      .optional()
      .describe(`IANA time zone that since and until are read in and the notes found are dated in, e.g. Asia/Tokyo when the user is there now; when omitted, the person's own zone (${timeZone} when theirs is unknown)`),
  });
}
type SearchArguments = z.infer<ReturnType<typeof searchParameters>>;

const saveParameters = z.object({
  text: z.string().trim().min(3).max(1_000).describe('The note, one or two self-contained sentences about the user, e.g. "Prefers answers in British English."'),
  kind: z.enum(NOTE_KINDS).default('fact'),
  pinned: z.boolean().default(false).describe('Pin it so it is in every future conversation; only when the user asks for that'),
  replaces: z.number().int().positive().optional().describe('Id of the note this one corrects or updates, when the user says a note is wrong or out of date'),
});

/**
 * The tools whose results are a person's notes: private to them in a group, and withheld from
 * the conversations still going on when they forget notes (memory/forget.ts).
 */
export const NOTE_TOOL_NAMES = ['memory_search', 'memory_save'] as const;
const [MEMORY_SEARCH, MEMORY_SAVE] = NOTE_TOOL_NAMES;

/**
 * Notes a search in a group looks through for each it returns: those learned elsewhere are left
 * out after ranking, and would otherwise take the places of the group's own.
 */
const GROUP_POOL_FACTOR = 5;
const GROUP_POOL_MIN = 50;

/**
 * `personOf`: the person a user key belongs to now (as for memory_save): a turn that began before
 * its account was linked searches the notes the person has now, not the old key's, which moved.
 * `timeZone`: CAIRN_TZ. The model has "the 5th" from current_time, in that zone: since and until
 * without an offset are read there, and notes are dated there, or the day would be UTC's.
 * In a group, only the notes learned in that channel or group are found (places.ts): the others
 * were told to Cairn in a direct chat or another group, and everyone here reads the answer.
 */
export function memorySearchTool(notes: Notes, personOf: (userId: string) => string = (userId) => userId, timeZone = 'UTC'): Tool<SearchArguments> {
  const places = new NotePlaces(notes.store.db);
  return {
    name: MEMORY_SEARCH,
    private: true,
    description: `Search your long-term notes about the user you are talking to (facts, preferences, decisions, problems solved in earlier conversations). Use it when earlier context would help, or when the user asks what you remember. In a group it finds only what you learned in that group. Dates are in the time zone of the person speaking (as current_time gives it) unless timeZone names another: their "yesterday" is that zone's.`,
    parameters: searchParameters(timeZone),
    async execute(args, context) {
      // A person away from CAIRN_TZ (Tokyo, with Cairn on Lisbon's clock) counts days on their own clock:
      // "yesterday" there began nine hours before Lisbon's, and its notes were dated the day before.
      // The person's own zone (time-zones/): a Tokyo member's "yesterday" with Cairn on San Francisco's clock.
      const zone = isGiven(args.timeZone) ? checkedZone(args.timeZone.trim()) : (context.zone?.().zone ?? timeZone);
      const since = isGiven(args.since) ? parseInstant(args.since, 'start', zone) : undefined;
      const until = isGiven(args.until) ? parseInstant(args.until, 'end', zone) : undefined;
      if (since === null || until === null) throw new Error('since and until must be ISO 8601 dates such as 2026-03-01 or 2026-03-01T12:00:00Z.');
      // The wrong way round matches nothing, and "No notes match" reads as "nothing happened then".
      if (since !== undefined && until !== undefined && since > until) throw new Error(`since ${args.since?.trim()} is after until ${args.until?.trim()}: give the earlier date as since.`);
      const inGroup = context.sender !== undefined && !context.sender.isDirect;
      const limit = inGroup ? Math.max(GROUP_POOL_MIN, args.limit * GROUP_POOL_FACTOR) : args.limit;
      const find = async (query: string) => {
        const found = await notes.search.search(personOf(context.userId), query, { limit, since, until, kind: args.kind }, context.signal);
        const { usable, heldBack } = inGroup ? places.usableIn(context.conversationId, found) : { usable: found, heldBack: 0 };
        return { hits: usable.slice(0, args.limit), heldBack };
      };
      const matched = await find(args.query);
      // "What did we decide in March?": the notes of March may not hold the word "decide" (keywords are all
      // there is without embeddings). "No notes match" read as "nothing happened then"; the period's notes are listed instead.
      const inPeriod = matched.hits.length === 0 && hasWords(args.query) && (since !== undefined || until !== undefined) ? await find('') : undefined;
      const listed = inPeriod !== undefined && inPeriod.hits.length > 0;
      const { hits, heldBack } = listed ? { hits: inPeriod.hits, heldBack: Math.max(matched.heldBack, inPeriod.heldBack) } : matched;
      const elsewhere = heldBack > 0 ? { held_back: HELD_BACK } : {};
      if (hits.length === 0) {
        const none = hasWords(args.query) ? `No notes match "${args.query}"` : 'No notes match those filters';
        return `${none}${inGroup ? ' here' : ''}.${heldBack > 0 ? ` ${HELD_BACK}` : ''}`;
      }
      const period = listed ? { no_words_matched: `None of the notes from then hold the words "${args.query}"; these are the newest of that time, whatever they are about.` } : {};
      return { ...period, notes: hits.map((hit) => ({ ...describe(hit.note, zone), score: hit.score })), ...elsewhere };
    },
  };
}

/**
 * `personOf`: the person a user key belongs to now. A turn that began before its account was
 * linked still names the old key; the note goes to the person, where they will find it.
 * `timeZone`: CAIRN_TZ, the clock the saved note's `created_at` is given on when the person's own is unknown (as memory_search's).
 */
export function memorySaveTool(notes: Notes, personOf: (userId: string) => string = (userId) => userId, timeZone = 'UTC'): Tool<z.infer<typeof saveParameters>> {
  return {
    name: MEMORY_SAVE,
    private: true,
    description:
      'Save a note to your long-term memory about the user you are talking to, when they ask you to remember something. When they correct a note, give its id as replaces: the old version is then no longer recalled. Secrets (passwords, keys, tokens) are never stored.',
    parameters: saveParameters,
    execute(args, context) {
      const saved = notes.save(personOf(context.userId), {
        text: args.text,
        kind: args.kind,
        pinned: args.pinned,
        sessionId: context.sessionId,
        now: context.now(),
        ...(args.replaces !== undefined ? { replaces: args.replaces } : {}),
      });
      if (saved.duplicateOf) return `Already remembered as note ${saved.note.id}${saved.pinnedNow ? ', pinned now' : ''}: ${saved.note.text}`;
      return { saved: describe(saved.note, context.zone?.().zone ?? timeZone) };
    },
  };
}

/**
 * What the model is told when a group search left notes out: enough to send the person to a direct
 * chat when they ask for them, not what or how many they are, nor a reason to hint at them (others
 * read the answer: a surprise party's guest of honour among them).
 */
const HELD_BACK =
  'Some of their notes that match were learned in a direct chat with you or in another group: they are private there and not shown here, where others read your answer. Do not guess at them or hint that they exist; if the person asks for them, say they can ask you in a direct chat.';

/** The zone the model named, or an error telling it what to give instead. */
function checkedZone(zone: string): string {
  const problem = shortZoneProblem(zone);
  if (problem !== undefined) throw new Error(`${problem}; ask the user when unsure.`);
  if (!isTimeZone(zone)) throw new Error(`Unknown time zone "${zone}". Use an IANA name such as Asia/Tokyo, or give since and until with their offset (2026-03-10T00:00+09:00).`);
  return zone;
}

/** Open models send "" for an optional field they mean to leave out. */
function isGiven(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** `created_at` on the clock of `timeZone`, with its offset. */
function describe(note: Note, timeZone = 'UTC') {
  return { id: note.id, text: note.text, kind: note.kind, created_at: isoInZone(note.createdAt, timeZone), ...(note.pinned ? { pinned: true } : {}) };
}

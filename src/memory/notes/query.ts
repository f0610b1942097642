/**
 * From the user's text to an FTS5 query. Only word tokens survive, each is quoted,
 * and they are OR-combined: no quote, `NEAR`, `*`, `-`, `:`, column name or emoji in
 * the input can change the query's syntax, so any input searches instead of throwing.
 */
import { wordForms } from './irregular.js';
import { ftsPhrase, hasWideChars, wideTokens } from './wide-chars.js';
import { closedForms, foldForSearch, hasNonAscii, spelledForms } from './fold.js';
import { OTHER_LANGUAGES_FUNCTION_WORDS } from './function-words.js';

/** Words that carry no topic: English function words and the verbs questions about memory use. */
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can ' +
    'could did do does doing down during each few for from further had has have having he her here hers herself him himself his ' +
    'how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they this ' +
    'those through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves also ever yet us let lets shall may might must ' +
    // What is left of contractions once the apostrophe splits them ("won" of "won't" is not
    // here: it is the past of "win", and a note "Alice won the raffle" must be found).
    's t d ll m re ve don didn doesn isn wasn aren weren wouldn shouldn couldn haven hasn hadn ' +
    // Questions about memory ("what did I say about…", "do you remember when…") name the
    // act of recalling, which the remembered turn itself never contains.
    'remember remembered recall recalled mention mentioned mentions tell told say said talk talked discuss discussed ' +
    'know think thought please thanks hey hi hello'
  )
    .split(/\s+/)
    // Folded as a query is (über as uber, and ueber as it is also searched), so they are compared with its tokens.
    .concat(OTHER_LANGUAGES_FUNCTION_WORDS.split(/\s+/).flatMap((word) => [word, ...spelledForms(word)].map((form) => foldForSearch(form).toLowerCase()))),
);

/** More distinct terms than this add cost and little recall. */
export const MAX_QUERY_TERMS = 32;

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/**
 * Lower-case word tokens of a text (letters, digits and their combining marks), in
 * order, with accents folded off Latin letters as FTS5's unicode61 does ("café" → "cafe"),
 * and runs of Chinese, Japanese, Thai… as overlapping pairs of characters (see wide-chars.ts).
 */
export function wordTokens(text: string): string[] {
  // Most notes are plain ASCII: no normalization needed (it is most of the cost of re-ranking).
  if (!hasNonAscii(text)) return text.toLowerCase().match(ASCII_WORD) ?? [];
  const folded = foldForSearch(text);
  const tokens = folded.toLowerCase().match(WORD) ?? [];
  return hasWideChars(folded) ? tokens.flatMap((token) => (hasWideChars(token) ? wideTokens(token) : [token])) : tokens;
}

const ASCII_WORD = /[a-z0-9]+/g;

/**
 * The distinct search terms of a query, in order of first appearance: stopwords
 * dropped, unless nothing else is left (then "who are you" still searches something).
 */
export function queryTerms(text: string): string[] {
  // "e-mail" searches "email" too, and "Müller" "Mueller" (the index holds those forms as well).
  const extra = [...closedForms(foldForSearch(text)), ...spelledForms(text).map(foldForSearch)].map((word) => word.toLowerCase());
  const tokens = [...new Set([...wordTokens(text), ...extra])];
  const content = tokens.filter((token) => !STOPWORDS.has(token));
  return withinTermBudget(content.length > 0 ? content : tokens);
}

/**
 * A pair of Chinese, Japanese or Thai characters (wide-chars.ts) costs a third of a word: their
 * words are two to four characters, so 32 pairs held a sentence's opening only, and a polite
 * greeting ("おはようございます。今日もよろしくお願いいたします。") took all of them: the note a
 * Japanese first message was about was never recalled. English keeps its 32 words.
 */
function withinTermBudget(tokens: readonly string[]): string[] {
  const kept: string[] = [];
  let cost = 0;
  for (const token of tokens) {
    cost += hasWideChars(token) ? 1 : WIDE_PAIRS_PER_WORD;
    if (cost > MAX_QUERY_TERMS * WIDE_PAIRS_PER_WORD) break;
    kept.push(token);
  }
  return kept;
}

const WIDE_PAIRS_PER_WORD = 3;

export function isStopword(token: string): boolean {
  return STOPWORDS.has(token);
}

/**
 * Each term with the other forms it searches too (irregular verbs and plurals:
 * "buy" also finds "bought"); a form that is a stopword is left out.
 */
export function termForms(terms: readonly string[]): string[][] {
  return terms.map((term) => wordForms(term).filter((form) => form === term || !STOPWORDS.has(form)));
}

/**
 * The FTS5 MATCH expression for terms, limited to the `text` column, optionally
 * intersected with the owner's token. Terms are `[\p{L}\p{N}\p{M}]` runs, so quoting
 * them is enough: they cannot contain a double quote.
 */
export function ftsExpression(terms: readonly string[], ownerToken?: string): string {
  const anyTerm = [...new Set(terms)].map((term) => `"${ftsPhrase(term)}"`).join(' OR ');
  const text = `{text} : (${anyTerm})`;
  return ownerToken ? `{owner} : "${ownerToken}" AND ${text}` : text;
}

export function ownerToken(ownerId: number): string {
  return `o${ownerId}`;
}

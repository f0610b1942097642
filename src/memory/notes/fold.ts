/**
 * Text as search compares it: accents folded off Latin and Greek letters (all of them: "phở" has
 * two on one letter, which FTS5's unicode61 leaves on; it leaves Greek tonos on too, which capitals
 * never carry: ΑΘΗΝΑ is Αθήνα), Latin letters with a stroke written plain (Łódź as Lodz, Ørsted as
 * Orsted, Đức as Duc: no decomposition takes a stroke off), and compatibility forms made plain
 * (full-width ＰＣ and ３００ as an IME types them, m² as m2). Marks other scripts write only sometimes go too:
 * Arabic harakat and hamza or madda on alef (مَدْرَسَة as مدرسة, أحمد as احمد), Hebrew points
 * (שָׁלוֹם as שלום) and the dots of Russian ё (Алёна as Алена). Marks a word cannot do without
 * stay: й, Devanagari vowel signs, Thai vowels and tones. The query is folded so, and so is the
 * text the index holds (`notes.search_text`), so a note is found by the very word it contains.
 */
const LATIN_GREEK_ACCENT = /([\p{Script=Latin}\p{Script=Greek}])\p{M}+/gu;
/**
 * Letters with a stroke or bar, which NFKD leaves whole, and eth (Ð looks like Đ and stands in for
 * it; Icelandic Guðrún is typed Gudrun). Turkish ı too: the other Turkish letters (ç ğ ö ş ü İ) fold already, and an upper-case
 * I lower-cases to i, so "KIRIKKALE" found no "Kırıkkale". Ligatures and ß as they are typed
 * without them: "Hauptstrasse" did not find "Hauptstraße" (Swiss German never writes ß), nor
 * "coeur" "cœur".
 */
const STROKED: Readonly<Record<string, string>> = {
  Ł: 'L', ł: 'l', Ø: 'O', ø: 'o', Đ: 'D', đ: 'd', Ð: 'D', ð: 'd', Ħ: 'H', ħ: 'h', Ŧ: 'T', ŧ: 't',
  Ɨ: 'I', ɨ: 'i', ı: 'i', Ƶ: 'Z', ƶ: 'z', Ƀ: 'B', ƀ: 'b', Ǥ: 'G', ǥ: 'g',
  ß: 'ss', ẞ: 'SS', Æ: 'AE', æ: 'ae', Œ: 'OE', œ: 'oe', Þ: 'TH', þ: 'th',
};
const STROKED_LETTER = new RegExp(`[${Object.keys(STROKED).join('')}]`, 'g');
/** Vowel marks, shadda, sukun, dagger alef; not hamza and madda (U+0653–0655), which ؤ and ئ keep. */
const ARABIC_HARAKAT = /[\u064B-\u0652\u0656-\u065F\u0670]+/g;
/** أ إ آ, once NFKD has taken their hamza or madda apart: most people type a bare alef. */
const ALEF_HAMZA = /\u0627[\u0653-\u0655]+/g;
/** Hebrew cantillation, vowel points and the shin and sin dots; not maqaf or sof pasuq, which are punctuation. */
const HEBREW_POINTS = /[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7]+/g;
/** ё and Ё (е, Е with a diaeresis after NFKD); й and ї keep theirs. */
const CYRILLIC_YO = /([\u0415\u0435])\u0308/g;
/**
 * Arabic letters written two ways, as Arabic search engines fold them (Lucene's Arabic and Persian
 * normalizers): final ى for ي (Egypt writes في as فى), ة for ه (typed شركه), Persian ی and ک for
 * Arabic ي and ك; and tatweel, the stretching stroke (اجتمـاع is اجتماع).
 */
const ARABIC_VARIANTS: Readonly<Record<string, string>> = { '\u0649': '\u064A', '\u0629': '\u0647', '\u06CC': '\u064A', '\u06A9': '\u0643', '\u0640': '' };
const ARABIC_VARIANT = /[\u0649\u0629\u06CC\u06A9\u0640]/g;
/** Arabic-Indic and Persian digits (٣٠٥, ۳۰۵), which NFKC leaves as they are: a room number is found as 305 (each block starts at a multiple of 16). */
const EASTERN_DIGIT = /[\u0660-\u0669\u06F0-\u06F9]/g;
/**
 * The definite article and the particles written onto it (ال، وال، بال، كال، فال، لل), taken off a
 * word of two letters or more: "اجتماع" (meeting) did not find "الاجتماع" (the meeting), as if
 * "meeting" did not find "the meeting". Light stemming, as Lucene's Arabic stemmer does; the query
 * loses its article too, so "الاجتماع" still finds "اجتماع".
 */
const ARABIC_ARTICLE = /(?<![\p{L}\p{M}\p{N}])(?:[\u0648\u0628\u0643\u0641]?\u0627\u0644|\u0644\u0644)(?=\p{L}\p{M}*\p{L})/gu;
/**
 * Direction marks and isolates (LRM, RLM, ALM, embeddings, overrides, isolates), which phones and
 * chat apps put around words in right-to-left text: FTS5 takes them for letters, so "Cairn" inside
 * ⁨…⁩ was a word "⁨cairn⁩" that "cairn" never found.
 */
const BIDI_CONTROLS = /[\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/g;
/** Cyrillic, Hebrew or Arabic, after NFKD (their presentation forms decompose into it): other text is spared the passes below. */
const CYRILLIC_HEBREW_ARABIC = /[\u0400-\u06FF]/;
const NON_ASCII = /[^\t\n\r -~]/;

export function hasNonAscii(text: string): boolean {
  return NON_ASCII.test(text);
}

export function foldForSearch(text: string): string {
  if (!hasNonAscii(text)) return text;
  const decomposed = text.replace(BIDI_CONTROLS, ' ').normalize('NFKD').replace(LATIN_GREEK_ACCENT, '$1').replace(STROKED_LETTER, (letter) => STROKED[letter] ?? letter);
  return (CYRILLIC_HEBREW_ARABIC.test(decomposed) ? withoutOptionalMarks(decomposed) : decomposed).normalize('NFKC');
}

function withoutOptionalMarks(decomposed: string): string {
  return decomposed
    .replace(ARABIC_HARAKAT, '')
    .replace(ALEF_HAMZA, '\u0627')
    .replace(ARABIC_VARIANT, (letter) => ARABIC_VARIANTS[letter] ?? letter)
    .replace(EASTERN_DIGIT, (digit) => String(digit.charCodeAt(0) & 0x0f))
    .replace(ARABIC_ARTICLE, '')
    .replace(HEBREW_POINTS, '')
    .replace(CYRILLIC_YO, '$1');
}

/**
 * A hyphenated word, from the first letter of its run of letters and digits (`x86-64` whole, the
 * `v2-beta` of `1v2-beta`). Tried only there: a try from a later letter of the run fails if that
 * one did, and from every letter of a long run with no hyphen after it (Chinese pasted without
 * spaces, a hex dump) each try read to the run's end, which took seconds for 30,000 characters.
 * The look-behind reads back over digits only.
 */
const HYPHENATED = /(?=\p{L})(?<!\p{L}\p{N}*)[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)+/gu;

/**
 * Hyphenated words written closed (`e-mail` → `email`, `Wi-Fi` → `WiFi`): both the index
 * and the query split at the hyphen, so "email" never found "e-mail", nor "wifi" "Wi-Fi". The
 * index holds the closed form too, and a query searches it too.
 */
export function closedForms(text: string): string[] {
  return [...text.matchAll(HYPHENATED)].map((match) => match[0].replace(/-/g, ''));
}

/** A word with a German umlaut (as NFC writes it: text pasted from macOS file names comes decomposed). */
const UMLAUT_WORD = /[\p{L}\p{N}]*[äöüÄÖÜ][\p{L}\p{N}]*/gu;
const SPELLED_UMLAUT: Readonly<Record<string, string>> = { ä: 'ae', ö: 'oe', ü: 'ue', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue' };

/**
 * Words with an umlaut spelled out as German does without one (`Müller` → `Mueller`, `Größe` →
 * `Groesse`): folding alone makes Müller "muller", which "Mueller", as a keyboard without umlauts
 * types it, never found. The index holds these forms too, and a query searches them too, so either
 * spelling finds the other.
 */
export function spelledForms(text: string): string[] {
  if (!/[äöüÄÖÜ]|\u0308/.test(text)) return [];
  return [...text.normalize('NFC').matchAll(UMLAUT_WORD)].map((match) => match[0].replace(/[äöüÄÖÜ]/g, (letter) => SPELLED_UMLAUT[letter] ?? letter));
}

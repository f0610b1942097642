/**
 * Brace expansion as bash does it, for what the danger check reads: `rm -rf /{usr,etc}` removes
 * `/usr` and `/etc`, and `~/{*,.*}` everything in a home, dotfiles too. Simple comma groups only,
 * and bounded, since the model writes the word and its check must stay linear in its length.
 */

/** Bounds on brace expansion, so that `{a,b}` written thousands of times costs a few passes over the word, not millions of words. */
const MAX_BRACE_GROUPS = 8;
const MAX_BRACE_WORDS = 64;

/**
 * The words bash makes of one with simple comma braces (`/{usr,etc}` is `/usr` and `/etc`).
 * A group without a comma (`{}`, `${HOME}`) is kept as written, and of nested groups only the
 * innermost is expanded. Past the bounds the rest of the word is kept as written: this guards
 * against a slip of a hand or a model, not against a command built to hide.
 */
export function braceExpansions(word: string): string[] {
  if (!word.includes('{')) return [word];
  let words = [''];
  let at = 0;
  for (let groups = 0; groups < MAX_BRACE_GROUPS; groups++) {
    const first = word.indexOf('{', at);
    const close = first < 0 ? -1 : word.indexOf('}', first);
    if (close < 0) break;
    const open = word.lastIndexOf('{', close);
    const inner = word.slice(open + 1, close);
    const choices = inner.includes(',') ? inner.split(',', MAX_BRACE_WORDS) : [`{${inner}}`];
    const before = word.slice(at, open);
    const expanded: string[] = [];
    for (const start of words) for (const choice of choices) if (expanded.length < MAX_BRACE_WORDS) expanded.push(start + before + choice);
    words = expanded;
    at = close + 1;
  }
  const rest = word.slice(at);
  return words.map((start) => start + rest);
}

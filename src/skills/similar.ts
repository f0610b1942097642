/**
 * Near-duplicate skill names. After a year of reflection a library held "deploy-staging",
 * "deploying-to-staging" and "staging-deploy": one procedure under three names, each patched
 * apart from the others, and the catalog filled with copies. Two names are the same skill when
 * they say the same words, in any order, whatever their endings ("deploying"/"deploy",
 * "staging"/"stage") and without filler ("to", "the", "a"). Different words ("deploy-staging-fix",
 * "git" and "git-bisect") are different skills: only the exact word set is refused, so a
 * procedure that really differs is kept by naming how.
 */

const FILLER = new Set(['a', 'an', 'the', 'to', 'of', 'for', 'in', 'on', 'at', 'by', 'with', 'and', 'or', 'from', 'into', 'via', 'using', 'how']);

/** A crude English stem: enough to meet "deploying", "deploys", "deployed" and "deploy" at one word. */
function stem(word: string): string {
  let base = word;
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (base.endsWith(suffix) && base.length - suffix.length >= 3) {
      base = base.slice(0, -suffix.length);
      break;
    }
  }
  return base.length > 3 && base.endsWith('e') ? base.slice(0, -1) : base;
}

/** What a skill name is about, as a key: names with equal keys are one skill under two names. */
export function topicKey(name: string): string {
  const stems = name
    .split('-')
    .filter((word) => word !== '' && !FILLER.has(word))
    .map(stem);
  return [...new Set(stems)].sort().join(' ');
}

/** The first of `names` (other than `name` itself) that is the same skill as `name` by its words. */
export function sameTopic(name: string, names: Iterable<string>): string | undefined {
  const key = topicKey(name);
  if (key === '') return undefined;
  for (const other of names) if (other !== name && topicKey(other) === key) return other;
  return undefined;
}

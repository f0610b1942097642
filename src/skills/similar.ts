/**
 * Near-duplicate skill names. After a year of reflection a library held "deploy-staging",
 * "deploying-to-staging" and "staging-deploy": one procedure under three names, each patched
 * apart from the others, and the catalog filled with copies. Two names are the same skill when
 * they say the same words, in any order, whatever their endings ("deploying"/"deploy",
 * "staging"/"stage", by the Porter stemmer note search uses) and without filler ("to", "the",
 * "a"). Different words ("deploy-staging-fix", "git" and "git-bisect") are different skills: only the exact word set is refused, so a
 * procedure that really differs is kept by naming how.
 */

import { stem } from '../memory/notes/stemmer.js';

const FILLER = new Set(['a', 'an', 'the', 'to', 'of', 'for', 'in', 'on', 'at', 'by', 'with', 'and', 'or', 'from', 'into', 'via', 'using', 'how']);

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

/**
 * Which notes a `--user` key names in `cairn memory`. Linked accounts keep their notes
 * under one person key (the gateway resolves it on every message), so the CLI resolves
 * it the same way: an operator asked to show or delete someone's notes must find all
 * of them from any of that person's accounts. Keys are platform-qualified
 * (`console:alice`, `slack:T1:U1`), so a bare name gets a hint instead of silence.
 */
import type { Db } from '../store/db.js';
import { IdentityLinks } from '../access/identities.js';
import type { NoteStore } from '../memory/notes/store.js';
import { toIso } from '../memory/notes/instant.js';

export interface UserListing {
  user: string;
  notes: number;
  newest_at: string | null;
  /** The other accounts whose notes are kept under this key. */
  linked: string[];
}

/** The key the user's notes are kept under; says so on `notice` when it is not the one given. */
export function notesKey(db: Db, key: string, notice: (line: string) => void): string {
  const person = new IdentityLinks(db).personOf(key);
  if (person !== key) notice(`${key} is linked with other accounts; their notes are kept under ${person}.`);
  return person;
}

/** A hint for a key nobody has ever had notes under; undefined for a known key. */
export function unknownUserHint(store: NoteStore, key: string): string | undefined {
  if (store.owner(key)) return undefined;
  const wanted = key.toLowerCase();
  const similar = store
    .owners()
    .map((owner) => owner.userId)
    .filter((other) => other.toLowerCase() === wanted || other.toLowerCase().endsWith(`:${wanted}`))
    .slice(0, 3);
  const guess = similar.length > 0 ? ` Did you mean ${similar.join(' or ')}?` : ' Keys are platform-qualified, e.g. console:alice or slack:T1:U1.';
  return `Nobody has notes under "${key}".${guess} \`cairn memory users\` lists every key.`;
}

/**
 * A warning for notes imported under a key no account has: every key Cairn gives a person
 * names its platform (`console:alice`), so no conversation would ever recall them.
 */
export function unqualifiedKeyWarning(store: NoteStore, key: string): string | undefined {
  if (key.includes(':')) return undefined;
  const wanted = key.toLowerCase();
  const similar = store
    .owners()
    .map((owner) => owner.userId)
    .filter((other) => other.toLowerCase().endsWith(`:${wanted}`))
    .slice(0, 3);
  const guess = similar.length > 0 ? `Did you mean ${similar.join(' or ')}?` : 'Keys are platform-qualified, e.g. console:alice or slack:T1:U1; `cairn memory users` lists every key.';
  return `"${key}" is no account's key: no conversation will recall these notes. ${guess} \`cairn memory forget --user ${key} all\` takes them back out.`;
}

/** Every user key with notes, its count, its newest note and the accounts linked to it. */
export function listUsers(db: Db, store: NoteStore): UserListing[] {
  const links = new IdentityLinks(db);
  // A key whose notes were all forgotten (or never were: `forget all` under a typo) has none to list.
  return store.owners().filter((owner) => owner.notes > 0).map((owner) => ({
    user: owner.userId,
    notes: owner.notes,
    newest_at: owner.newestAt === undefined ? null : toIso(owner.newestAt),
    linked: links.identitiesOf(owner.userId).filter((identity) => identity !== owner.userId),
  }));
}

export function renderUser(listing: UserListing): string {
  const count = `${listing.notes} ${listing.notes === 1 ? 'note' : 'notes'}`;
  const newest = listing.newest_at ? `, newest ${listing.newest_at}` : '';
  const linked = listing.linked.length > 0 ? ` (linked: ${listing.linked.join(', ')})` : '';
  return `${listing.user}  ${count}${newest}${linked}`;
}

/**
 * A map used as a small cache: what a long-running process remembers per message, person or text
 * must not grow without end, so the entries set longest ago are forgotten first.
 */

/** Sets `key` (as the newest entry, also when it was there) and forgets the oldest entries past `limit`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
}

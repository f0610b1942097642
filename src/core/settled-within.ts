/**
 * Whether `work` finished before `sleep(ms)` did (rejecting as it does, if it fails first): the shape
 * of every bounded wait at shutdown (turns in flight, note extraction, reflections and audits),
 * which then goes on without it.
 */
export function settledWithin(work: Promise<unknown>, ms: number, sleep: (ms: number) => Promise<void>): Promise<boolean> {
  return Promise.race([work.then(() => true), sleep(ms).then(() => false)]);
}

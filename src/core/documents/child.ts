/**
 * A document process (see pool.ts): runs the jobs its parent sends, one at a time, and
 * answers each with its result or its error.
 */
import { isCairnError } from '../errors.js';
import { runJob, type Job, type JobAnswer } from './jobs.js';

if (!process.send) throw new Error('src/core/documents/child runs only as a child process of pool.ts');
const send = process.send.bind(process);

process.on('message', (job: Job) => {
  void runJob(job).then(
    (result) => send({ ok: true, result } satisfies JobAnswer),
    (error: unknown) => send({ ok: false, error: { message: error instanceof Error ? error.message : String(error), ...(isCairnError(error) ? { code: error.code } : {}) } } satisfies JobAnswer),
  );
});
// The parent ends this process; losing the parent ends it too.
process.on('disconnect', () => process.exit(0));

/**
 * A worker process of a batch run or an Atropos environment: one Cairn of its own (its own database connection, model
 * client and sockets) running the tasks the parent sends, any number at once.
 */
import { describeError, isCairnError } from '../../core/errors.js';
import { createLocalExecutor, type TaskExecutor } from '../task-executor.js';
import type { Trajectory } from '../trajectory.js';
import type { FromWorker, ToWorker } from './protocol.js';

if (!process.send) throw new Error('src/rl/workers/child.ts runs only as a worker process (see parent.ts).');
const send = (message: FromWorker, then?: () => void): void => void process.send?.(message, undefined, {}, then);
const run = new AbortController();
const inFlight = new Set<Promise<void>>();
let executor: TaskExecutor | undefined;
/** The tools of the last trajectory sent: the parent keeps them, so the same ones are not sent again (see protocol.ts). */
let toolsSent: Trajectory['tools'] | undefined;

// Ctrl-C reaches the whole process group, and so does SIGTERM from GNU timeout, Slurm or
// systemd: the parent decides, and tells us to abort (it ends us with SIGKILL if it must).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// A parent that died (or was killed) can no longer take results: stop.
process.on('disconnect', () => process.exit(1));

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      createLocalExecutor(message.init.spec).then(
        (created) => {
          executor = created;
          send({ type: 'ready' });
        },
        (error: unknown) => send({ type: 'failed', message: describeError(error), code: isCairnError(error) ? error.code : 'internal' }, () => process.exit(1)),
      );
      break;
    case 'run': {
      const work = (executor as TaskExecutor).run(message.task, run.signal).then(
        (trajectory) => send(done(message.id, trajectory)),
        (error: unknown) => send(run.signal.aborted ? { type: 'aborted', id: message.id } : { type: 'error', id: message.id, message: describeError(error) }),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      break;
    }
    case 'abort':
      run.abort(new Error('the run was interrupted'));
      break;
    case 'close':
      // Keep-alive sockets would hold the process open: exit once the database is closed.
      void Promise.allSettled([...inFlight])
        .then(() => executor?.close())
        .finally(() => send({ type: 'closed' }, () => process.exit(0)));
      break;
  }
});

function done(id: number, trajectory: Trajectory): FromWorker {
  if (trajectory.tools === toolsSent) return { type: 'done', id, trajectory: { ...trajectory, tools: [] }, sameTools: true };
  toolsSent = trajectory.tools;
  return { type: 'done', id, trajectory };
}

/**
 * A batch worker thread: one Cairn of its own (its own database connection, model
 * client and sockets) running the tasks the main thread sends, any number at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../core/errors.js';
import { createLocalExecutor, type TaskExecutor } from '../task-executor.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('src/rl/workers/worker.ts runs only as a worker thread (see threads.ts).');
const send = (message: FromWorker) => port.postMessage(message);
const { spec } = workerData as WorkerInit;
const run = new AbortController();
const inFlight = new Set<Promise<void>>();

let executor: TaskExecutor;
try {
  executor = await createLocalExecutor(spec);
} catch (error) {
  // The main thread reports it and stops the run; closing the port lets this thread end.
  send({ type: 'failed', message: describeError(error) });
  port.close();
  process.exit(1);
}
send({ type: 'ready' });

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run': {
      const work = executor.run(message.task, run.signal).then(
        (trajectory) => send({ type: 'done', id: message.id, trajectory }),
        (error: unknown) => send(run.signal.aborted ? { type: 'aborted', id: message.id } : { type: 'error', id: message.id, message: describeError(error) }),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      break;
    }
    case 'abort':
      run.abort(new Error('the batch run was interrupted'));
      break;
    case 'close':
      void Promise.allSettled([...inFlight])
        .then(() => executor.close())
        .finally(() => send({ type: 'closed' }));
      break;
  }
});

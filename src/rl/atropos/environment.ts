/**
 * `cairn atropos serve`: Cairn as an Atropos environment. It registers (waiting for
 * the trainer), then repeatedly takes a task, runs it G times through the agent,
 * scores each run with the task's reward, tokenizes them with the policy's template,
 * and sends the group as ScoredData. Before each group it polls /status-env and
 * pauses while the trainer is behind: queued groups × G ≥ max_batches_offpolicy ×
 * batch_size, the rule of atroposlib's BaseEnv. It stops when the trainer reaches its
 * step count, when the tasks run out (with --epochs), or on Ctrl-C, and disconnects. An API
 * that restarted (and lost the registration) is registered with again (registration.ts).
 *
 * Only whole groups of G are sent. The API's GET /batch (grab_exact_from_heterogeneous_queue)
 * packs whole groups into exactly batch_size sequences, by the largest group size queued, and
 * buffers a group of another size until some add up to G: a smaller group is never trained, yet
 * counts in the queue that decides when to pause. So runs that failed are run again, and a
 * group still short is dropped ("incomplete"); and a G that cannot fill a batch is refused at
 * the start.
 */
import type { Logger } from '../../core/logger.js';
import { CairnError, describeError } from '../../core/errors.js';
import { REDACTED } from '../../core/redact.js';
import type { Timers } from '../pool.js';
import type { Task } from '../tasks.js';
import type { Trajectory } from '../trajectory.js';
import type { AtroposClient, EnvStatus, ScoredData, SendOutcome } from './client.js';
import { EnvSession, unreachable } from './registration.js';
import { tokensAndMasks, type ChatTokenizer, type TokensAndMasks } from './tokenize.js';
import { TaskProgress } from './progress.js';
import { pauseWatch, progressWatch, SEND_GRACE_MS } from './watch.js';

export interface AtroposEnvironmentOptions {
  client: AtroposClient;
  tokenizer: ChatTokenizer;
  /** One scored run of a task through the agent. */
  generate: (task: Task, signal: AbortSignal) => Promise<Trajectory>;
  tasks: readonly Task[];
  groupSize: number;
  name: string;
  weight: number;
  maxTokenLength: number;
  minBatchAllocation?: number | undefined;
  /** Pause when this many trainer batches are already queued (atroposlib's default is 3; 0 never pauses). */
  maxBatchesOffpolicy: number;
  /** Groups generated at once. */
  concurrency: number;
  /** Passes over the tasks; undefined cycles until the trainer's step count is reached. */
  epochs?: number | undefined;
  pollMs: number;
  /** Send groups whose scores are all equal (they carry no signal for GRPO-style trainers). */
  keepEqualScores?: boolean;
  timers: Timers;
  logger: Logger;
  signal: AbortSignal;
  onGroup?: (event: GroupEvent) => void;
  /** Where the tasks stand (a file a restart goes on from); default: from the first task, kept in memory. */
  progress?: TaskProgress;
  /** The clock of the progress lines in the log (default Date.now). */
  now?: () => number;
}

/** `incomplete`: fewer than G runs finished and were scored, even when run again; dropped, never sent. */
export type GroupOutcome = 'received' | 'buffered' | 'refused' | 'uncertain' | 'equal-scores' | 'too-long' | 'incomplete' | 'failed';

export interface GroupEvent {
  taskId: string;
  outcome: GroupOutcome;
  size: number;
  scores: number[];
}

export interface AtroposRunStats {
  envId: number | undefined;
  groups: Record<GroupOutcome, number>;
  trajectories: number;
  pauses: number;
  stoppedBecause: 'steps' | 'tasks' | 'aborted';
  /** Where this run started in the tasks, and where the next goes on ("task 37 of 120 (pass 2)"), with the file that keeps it. */
  tasks: { startedAt: string; resumeAt: string; file: string | undefined };
}

export async function serveAtropos(options: AtroposEnvironmentOptions): Promise<AtroposRunStats> {
  const { client, signal, logger } = options;
  checkGroupCanCarrySignal(options.groupSize, options.keepEqualScores ?? false);
  const stats: AtroposRunStats = {
    envId: undefined,
    groups: { received: 0, buffered: 0, refused: 0, uncertain: 0, 'equal-scores': 0, 'too-long': 0, incomplete: 0, failed: 0 },
    trajectories: 0,
    pauses: 0,
    stoppedBecause: 'aborted',
    tasks: { startedAt: '', resumeAt: '', file: undefined },
  };
  const progress = options.progress ?? TaskProgress.open({ tasks: options.tasks, epochs: options.epochs, logger });
  stats.tasks = { startedAt: progress.describe(progress.startedAt), resumeAt: progress.describe(progress.resumeAt), file: progress.file };
  const session = await EnvSession.register(
    {
      client,
      request: { maxTokenLength: options.maxTokenLength, desiredName: options.name, weight: options.weight, groupSize: options.groupSize, minBatchAllocation: options.minBatchAllocation },
      timers: options.timers,
      logger,
      pollMs: options.pollMs,
    },
    signal,
  );
  const { registration } = session;
  stats.envId = session.envId;
  logger.info({ envId: session.envId, name: registration.wandb_name, step: registration.starting_step, steps: registration.num_steps, api: client.where, from: stats.tasks.startedAt }, 'Atropos: registered');
  try {
    await session.readInfo(signal);
    let inFlight = 0;
    let stopped: AtroposRunStats['stoppedBecause'] | undefined;
    const pause = pauseWatch({ logger, pollMs: options.pollMs, maxBatchesOffpolicy: options.maxBatchesOffpolicy });
    const report = progressWatch({ logger, now: options.now ?? Date.now, stats, progress });
    let lastStep = 0;

    /** Waits while the trainer is too far behind; says why to stop, or undefined to go on. */
    const room = async (): Promise<AtroposRunStats['stoppedBecause'] | undefined> => {
      for (;;) {
        if (stopped) return stopped;
        if (signal.aborted) return 'aborted';
        const status = await session.status(signal);
        lastStep = status.current_step;
        const { num_steps: numSteps } = session.registration;
        if (numSteps > 0 && status.current_step >= numSteps) return 'steps';
        const { batchSize } = session;
        const queued = (status.queue_size + inFlight) * options.groupSize;
        if (options.maxBatchesOffpolicy <= 0 || queued < options.maxBatchesOffpolicy * batchSize || ownShareMissing(status, inFlight, batchSize, options)) {
          pause.going(status);
          return undefined;
        }
        if (pause.paused(status, queued, batchSize)) stats.pauses++;
        await options.timers.sleep(options.pollMs, signal);
      }
    };

    // Runs still going once the trainer reached its step count, or after a failure, would never be
    // trained: they are stopped (as BaseEnv cancels its workers), not waited for. Groups already made
    // are still sent; when the tasks run out, the groups under way are waited for.
    const halt = new AbortController();
    const runSignal = AbortSignal.any([signal, halt.signal]);
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      try {
        await work();
      } catch (error) {
        // Ctrl-C while a group was sent or the status polled: a stop, not a failure.
        if (!signal.aborted) failure ??= { error };
        // The first failure stops the others; it is thrown once they have all stopped.
        stopped ??= 'aborted';
        halt.abort();
      }
    };
    const tokenizing = { worked: false };
    const failures = failedGroupBackoff({ ...options, signal: runSignal });
    const work = async () => {
      for (;;) {
        const reason = await room();
        if (reason) {
          stopped ??= reason;
          if (reason === 'steps') halt.abort();
          return;
        }
        const taken = progress.take();
        if (!taken) {
          stopped ??= 'tasks';
          return;
        }
        inFlight++;
        let event: GroupEvent | undefined;
        try {
          event = await runGroup(taken.task, options, session, tokenizing, runSignal);
          // A group stopped before it was sent is run again by the next start.
          if (!event) continue;
          progress.done(taken.position);
          stats.groups[event.outcome]++;
          if (event.outcome === 'received' || event.outcome === 'buffered') stats.trajectories += event.size;
          options.onGroup?.(event);
          report.after(lastStep);
        } finally {
          inFlight--;
        }
        await failures.after(event);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    if (failure) throw failure.error;
    stats.stoppedBecause = signal.aborted ? 'aborted' : (stopped ?? 'tasks');
    return stats;
  } finally {
    stats.envId = session.envId;
    stats.tasks.resumeAt = progress.describe(progress.resumeAt);
    await client.disconnect(session.envId);
    logger.info({ envId: session.envId, groups: stats.groups }, 'Atropos: disconnected');
  }
}

export { checkGroupFitsBatch } from './registration.js';

/**
 * A group of one has "all scores equal" whatever its score, so with equal-score groups skipped
 * (as atroposlib's ensure_scores_are_not_same does) nothing would ever be sent, while every task
 * ran: refused at the start instead.
 */
export function checkGroupCanCarrySignal(groupSize: number, keepEqualScores: boolean): void {
  if (groupSize > 1 || keepEqualScores) return;
  throw new CairnError(
    'invalid_input',
    '--group-size 1 sends nothing: groups whose scores are all equal are skipped, and a group of one always is. Use --group-size 2 or more (GRPO-style trainers compare the runs of a group), or --keep-equal-scores to send every group.',
  );
}

/**
 * With --min-batch-allocation, whether fewer of this environment's groups are queued (or being
 * made) than its minimum share of the off-policy window. server.py's batcher
 * (grab_batch_with_minimum_allocations) cuts no batch at all while an environment with a minimum
 * has nothing packable queued, so pausing then, because other environments filled the queue,
 * would stop the trainer and every environment for ever. atroposlib's BaseEnv goes on in that
 * case too; its share is counted in packs of the largest group size queued, as here.
 */
function ownShareMissing(status: EnvStatus, inFlight: number, batchSize: number, options: Pick<AtroposEnvironmentOptions, 'minBatchAllocation' | 'groupSize' | 'maxBatchesOffpolicy'>): boolean {
  if (options.minBatchAllocation === undefined) return false;
  // Our own groups are queued too once they arrive: a pack is never smaller than one of them.
  const packSize = Math.max(status.max_group_size, options.groupSize);
  const groupsNeeded = Math.ceil((options.minBatchAllocation * batchSize * options.maxBatchesOffpolicy) / packSize) * Math.floor(packSize / options.groupSize);
  return status.self_queue_size + inFlight < groupsNeeded;
}

/** The longest wait after groups that failed in a row. */
const MAX_FAILED_WAIT_MS = 60_000;

/**
 * Groups that failed whole, one after another, mostly mean the policy's inference server is
 * away (restarting with new weights): each next group failed as fast as the client gave up,
 * using up the tasks of the epoch. After each such group the next waits longer, 1 s doubling
 * up to a minute; one group that works ends the wait.
 */
function failedGroupBackoff(options: Pick<AtroposEnvironmentOptions, 'timers' | 'signal' | 'logger'>) {
  let inARow = 0;
  return {
    async after(event: GroupEvent | undefined): Promise<void> {
      if (!event) return;
      if (event.outcome !== 'failed') {
        if (inARow >= 2) options.logger.info({ groups: inARow }, 'Atropos: groups work again');
        inARow = 0;
        return;
      }
      inARow++;
      const waitMs = Math.min(1_000 * 2 ** (inARow - 1), MAX_FAILED_WAIT_MS);
      if (inARow === 2) options.logger.warn({ waitMs }, 'Atropos: groups fail one after another (is the inference server up?); waiting longer before each next one');
      await options.timers.sleep(waitMs, options.signal).catch(() => undefined);
    },
  };
}

type Member = Trajectory & { reward: number };

/**
 * Rounds of running again the members of a group that failed or could not be scored (a
 * timeout, a judge away for a moment), after the first: a passing failure costs a run, not the
 * group, which the API would never train short.
 */
const MEMBER_RETRY_ROUNDS = 2;

/** Generates (until `runSignal` stops it), scores, tokenizes and sends one group; undefined when the run was stopped meanwhile. */
async function runGroup(task: Task, options: AtroposEnvironmentOptions, session: EnvSession, tokenizing: { worked: boolean }, runSignal: AbortSignal): Promise<GroupEvent | undefined> {
  const { signal, logger } = options;
  const members = await generateMembers(task, { ...options, signal: runSignal });
  if (!members) return undefined;
  const scores = members.map((member) => member.reward);
  const event = (outcome: GroupOutcome): GroupEvent => ({ taskId: task.id, outcome, size: members.length, scores });
  if (members.length === 0) return event('failed');
  if (members.length < options.groupSize) {
    logger.warn({ taskId: task.id, runs: members.length, groupSize: options.groupSize }, 'Atropos: group dropped as incomplete: fewer runs finished and were scored than the group size, even run again (the API trains only whole groups)');
    return event('incomplete');
  }
  if (!options.keepEqualScores && new Set(scores).size === 1) return event('equal-scores');

  let encoded: TokensAndMasks[];
  try {
    encoded = await Promise.all(members.map((member) => tokensAndMasks(member.messages, member.tools, options.tokenizer)));
    tokenizing.worked = true;
  } catch (error) {
    if (signal.aborted) return undefined;
    // Before any group was tokenized it is the setting (a wrong CAIRN_TOKENIZE_URL): stop and say so.
    // After, the inference server is away for longer than its retries (loading new weights): that group is lost, not the run.
    if (!tokenizing.worked) throw error;
    logger.warn({ taskId: task.id, err: describeError(error) }, 'Atropos: the group could not be tokenized; going on');
    return event('failed');
  }
  if (encoded.some((sequence) => sequence.tokens.length >= session.maxTokenLen)) return event('too-long');
  const group: ScoredData = {
    tokens: encoded.map((sequence) => sequence.tokens),
    masks: encoded.map((sequence) => sequence.masks),
    scores,
    messages: members.map((member) => member.messages.map((message) => ({ ...message, content: message.content ?? '' }))),
  };
  const sent = await sendUnderRegistration(group, options, session);
  if (sent === undefined) return undefined;
  if (sent.status === 'refused' || sent.status === 'uncertain') logger.warn({ taskId: task.id, outcome: sent.status, detail: sent.detail }, 'Atropos: group not delivered');
  return event(sent.status);
}

/**
 * Sends a group under a registration confirmed just before (see registration.ts), with the env id
 * it has then. A group that certainly did not arrive because the API was away (no connection, a
 * proxy's 502/503) is not lost: it is sent again once the API is back, registered with again if
 * it restarted meanwhile.
 */
async function sendUnderRegistration(group: ScoredData, options: AtroposEnvironmentOptions, session: EnvSession): Promise<SendOutcome | undefined> {
  const { client, signal, logger } = options;
  for (;;) {
    // Stopped before the group went out: it was never sent, and the next start makes it again.
    if (signal.aborted) return undefined;
    await session.status(signal);
    // A stop (SIGTERM: the pod moved) while the group is being sent lets the send finish for a moment, so that it is
    // known to have arrived, and is not sent again by the next start; cut short after the body went out, it counts as uncertain.
    const late = abortLate(signal, options.timers, SEND_GRACE_MS);
    try {
      return await client.sendScoredData({ ...group, env_id: session.envId }, late.signal);
    } catch (error) {
      if (late.signal.aborted && error instanceof CairnError && error.code === 'aborted') return undefined;
      if (signal.aborted || !unreachable(error)) throw error;
      logger.warn({ envId: session.envId, err: describeError(error) }, 'Atropos: the API is away; the group goes again once it is back');
    } finally {
      late.dispose();
    }
  }
}

/** A signal aborted `ms` after `signal` is. */
function abortLate(signal: AbortSignal, timers: Timers, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let cancel: (() => void) | undefined;
  const start = () => (cancel = timers.setTimeout(() => controller.abort(signal.reason), ms));
  if (signal.aborted) start();
  else signal.addEventListener('abort', start, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      signal.removeEventListener('abort', start);
      cancel?.();
    },
  };
}

/**
 * G scored runs of `task`, the missing ones run again for up to MEMBER_RETRY_ROUNDS rounds;
 * fewer when they kept failing, none when every first run failed (the inference server away,
 * which the wait after a failed group is for), undefined when stopped.
 */
async function generateMembers(task: Task, options: AtroposEnvironmentOptions): Promise<Member[] | undefined> {
  const members: Member[] = [];
  for (let round = 0; round <= MEMBER_RETRY_ROUNDS && members.length < options.groupSize; round++) {
    const runs = await Promise.all(Array.from({ length: options.groupSize - members.length }, () => generateOnce(task, options)));
    if (options.signal.aborted) return undefined;
    const usable = usableMembers(task, runs, options.logger);
    if (round === 0 && usable.length === 0) return [];
    members.push(...usable);
  }
  return members;
}

function generateOnce(task: Task, options: AtroposEnvironmentOptions): Promise<Trajectory | undefined> {
  return options.generate(task, options.signal).catch((error: unknown) => {
    if (!options.signal.aborted) options.logger.warn({ taskId: task.id, err: describeError(error) }, 'Atropos: a group member failed');
    return undefined;
  });
}

/**
 * The runs that may be trained. Failed runs are not, nor those whose reward could not be
 * computed (a score of 0 would teach that a right answer was wrong), nor those whose assistant
 * turns held one of Cairn's configured secrets (masked now): trained, they would teach either the
 * secret or a "[redacted]" the policy never wrote.
 */
function usableMembers(task: Task, runs: readonly (Trajectory | undefined)[], logger: Logger): Member[] {
  const holdingSecret = runs.filter((run) => run !== undefined && wroteRedacted(run)).length;
  if (holdingSecret > 0) logger.warn({ taskId: task.id, runs: holdingSecret }, "Atropos: runs left out, their answers held one of Cairn's configured secrets");
  const finished = runs.filter((run): run is Trajectory => run !== undefined && run.status === 'ok' && !wroteRedacted(run));
  const unscored = finished.filter((run) => typeof run.reward !== 'number');
  if (unscored.length > 0) logger.warn({ taskId: task.id, runs: unscored.length, reason: unscored[0]?.errors.at(-1)?.message }, 'Atropos: runs left out, their reward could not be computed');
  return finished.filter((run): run is Member => typeof run.reward === 'number');
}

function wroteRedacted(run: Trajectory): boolean {
  return run.messages.some((message) => message.role === 'assistant' && JSON.stringify(message).includes(REDACTED));
}

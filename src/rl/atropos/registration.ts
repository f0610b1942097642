/**
 * This environment's registration with the Atropos API, for the whole run. The API keeps its
 * registrations in memory only: restarted (with the trainer, or alone), it no longer knows this
 * environment, and server.py's GET /status-env fails with a 500 for its env id (AttributeError
 * before a trainer registered, IndexError after). Then the environment registers again — waiting
 * for the trainer to start, as at the beginning — and goes on under its new id; while the API
 * cannot be reached at all, it waits for it.
 *
 * A group goes out only under a registration confirmed just before: a group posted to a restarted
 * API before its trainer registered again would make that registration a no-op (server.py sets
 * itself up in POST /register only while it holds no queue, and /scored_data makes one), so the
 * trainer could never start.
 */
import { CairnError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Timers } from '../pool.js';
import type { AtroposClient, EnvRegistration, EnvStatus, RegisterEnvRequest } from './client.js';
import { RequestFailed } from './http.js';
import { ProxyFailure } from '../../proxy/errors.js';

export interface EnvSessionOptions {
  client: AtroposClient;
  request: RegisterEnvRequest;
  timers: Timers;
  logger: Logger;
  /** Pause between polls while the API cannot be reached. */
  pollMs: number;
}

/** How often a wait for an unreachable API is logged again. */
const UNREACHABLE_LOG_MS = 60_000;

export class EnvSession {
  /** The trainer's batch size and longest sequence, from GET /info (read again after each registration). */
  batchSize = 0;
  maxTokenLen = 0;
  private registeringAgain: Promise<void> | undefined;
  private infoStale = false;
  /** The env id the API last answered a status for: only a registration it knew can have been lost. */
  private confirmedId: number | undefined;

  private constructor(
    private readonly options: EnvSessionOptions,
    private current: EnvRegistration,
  ) {}

  /** Registers (waiting for the trainer to start). */
  static async register(options: EnvSessionOptions, signal: AbortSignal): Promise<EnvSession> {
    try {
      return new EnvSession(options, await options.client.register(options.request, signal));
    } catch (error) {
      // At the start an API that cannot be reached is most likely a wrong address or route: said so, the run ends.
      throw signal.aborted ? error : options.client.notReached(error);
    }
  }

  get registration(): EnvRegistration {
    return this.current;
  }

  get envId(): number {
    return this.current.env_id;
  }

  /** Reads the trainer's batch size and longest sequence; throws when the group size cannot fill its batches. */
  async readInfo(signal: AbortSignal): Promise<void> {
    const info = await this.options.client.info(signal);
    const groupSize = this.options.request.groupSize;
    this.maxTokenLen = info.maxTokenLen > 0 ? info.maxTokenLen : this.options.request.maxTokenLength;
    this.batchSize = info.batchSize > 0 ? info.batchSize : groupSize;
    this.infoStale = false;
    checkGroupFitsBatch(groupSize, this.batchSize);
  }

  /**
   * This environment's status; registers again first when the API lost the registration, and
   * waits while the API cannot be reached.
   */
  async status(signal: AbortSignal): Promise<EnvStatus> {
    let lostId: number | undefined;
    let waitedMs = 0;
    let loggedAt = Number.NEGATIVE_INFINITY;
    for (;;) {
      try {
        if (lostId !== undefined) await this.registerAgain(lostId, signal);
        lostId = undefined;
        // The restarted trainer may have another batch size; read before anything is made for it.
        if (this.infoStale) await this.readInfo(signal);
        const status = await this.options.client.statusEnv(this.envId, signal);
        this.confirmedId = this.envId;
        if (waitedMs > 0) this.options.logger.info({ envId: this.envId, waitedMs }, 'Atropos: the API answers again');
        return status;
      } catch (error) {
        if (signal.aborted) throw error;
        // A 500 for an id the API never answered for is no restart (registering again would only repeat it): stop, with it.
        if (registrationLost(error)) {
          if (this.confirmedId !== this.envId) throw error;
          lostId ??= this.envId;
          continue;
        }
        if (!unreachable(error)) throw error;
        if (waitedMs - loggedAt >= UNREACHABLE_LOG_MS) {
          loggedAt = waitedMs;
          this.options.logger.warn({ envId: this.envId, waitedMs, err: (error as Error).message }, `Atropos: the API (${this.options.client.where}) cannot be reached (restarting?); waiting for it`);
        }
        await this.options.timers.sleep(this.options.pollMs, signal);
        waitedMs += this.options.pollMs;
        if (signal.aborted) throw new CairnError('aborted', 'Stopped while waiting for the Atropos API.', { platform: 'atropos' });
      }
    }
  }

  /** One registration for all the workers that found `lostId` gone. */
  private registerAgain(lostId: number, signal: AbortSignal): Promise<void> {
    if (this.envId !== lostId) return Promise.resolve();
    this.registeringAgain ??= (async () => {
      this.options.logger.warn({ envId: lostId }, 'Atropos: the API no longer knows this environment (restarted?); registering again');
      this.current = await this.options.client.register(this.options.request, signal);
      this.infoStale = true;
      this.options.logger.info({ envId: this.envId, name: this.current.wandb_name, step: this.current.starting_step }, 'Atropos: registered again');
    })().finally(() => (this.registeringAgain = undefined));
    return this.registeringAgain;
  }
}

/** server.py's /status-env fails with a 500 only for an env id it does not hold (or no state at all). */
function registrationLost(error: unknown): boolean {
  return error instanceof CairnError && !(error instanceof ProxyFailure) && error.status === 500;
}

/** No answer from the API, or a proxy's in front of an API that is down. */
export function unreachable(error: unknown): boolean {
  if (error instanceof RequestFailed) return error.code !== 'aborted';
  // The proxy down, or unable to reach the API, is waited for; its refusal (a password, its policy) is no passing trouble.
  if (error instanceof ProxyFailure) return error.code === 'network';
  return error instanceof CairnError && (error.status === 502 || error.status === 503 || error.status === 504);
}

/**
 * The API trains whole groups only, packed to exactly the trainer's batch_size: a group larger
 * than a batch, or a size that does not divide it (3 + 3 + 3 ≠ 8), is never trained, and the
 * queue it fills would pause this environment for ever. atroposlib's BaseEnv refuses the first.
 */
export function checkGroupFitsBatch(groupSize: number, batchSize: number): void {
  if (groupSize <= batchSize && batchSize % groupSize === 0) return;
  throw new CairnError(
    'config',
    `--group-size ${groupSize} does not fit the trainer's batch_size of ${batchSize}: Atropos batches whole groups only, so the group size must divide the batch size. ` +
      `Use --group-size ${largestDivisor(batchSize, groupSize)} (or another divisor of ${batchSize}), or give the trainer a batch_size that is a multiple of ${groupSize}.`,
  );
}

/** The largest divisor of `n` that is at most `limit`. */
function largestDivisor(n: number, limit: number): number {
  for (let d = Math.min(n, limit); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

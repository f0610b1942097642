/**
 * A loopback Atropos trajectory API that behaves as atroposlib/api/server.py (v0.4.0, unchanged
 * through 296a0bc5) does for an environment: "wait for trainer to start" until a trainer
 * registered and asked for a batch, /status-env reading its env id from the body of a GET (and
 * failing with a 500 when the connected environments' weights add up to 0, a division by zero
 * there), mixed-size groups buffered per environment until some add up to the registered group
 * size, 422 for a body that is not ScoredData, and GET /batch packing whole groups as the real
 * batcher does (see takeExactBatch), so a group no batch can take stays queued here too.
 * Environments with a minimum batch allocation are batched as without. Tests inject failures
 * per route. `restart()` is the API process restarted: its state is in memory, so every
 * registration is gone; /status-env then fails with a 500 (server.py's AttributeError or
 * IndexError), and a group posted before the trainer registers again keeps the trainer's
 * POST /register from taking effect (server.py sets everything up only while `app.state` has no
 * queue, and /scored_data makes one).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AtroposRequest {
  method: string;
  path: string;
  body: unknown;
}

interface Env {
  maxContextLen: number;
  weight: number;
  desiredName: string;
  groupSize: number;
  minBatchAllocation: number | null;
  connected: boolean;
}

interface Group {
  tokens: number[][];
  masks: number[][];
  scores: number[];
  messages?: unknown;
  env_id?: number | null;
}

/**
 * What a route does next time instead of its normal answer. `resetIfReused`: when that request
 * comes on a keep-alive connection that served one before, the connection is closed without
 * processing it, as a server that had closed the idle connection does (the request met a closed
 * socket); on a new connection it is processed as usual.
 */
export type Injection = { status: number; body?: unknown } | { dropAfterProcessing: true } | { resetIfReused: true };

export interface FakeAtropos {
  url: string;
  requests: AtroposRequest[];
  envs: Env[];
  queue: Group[];
  buffer: Map<number, Group[]>;
  /** Largest queue length (in groups) ever seen. */
  maxQueue: number;
  inject(path: string, ...injections: Injection[]): void;
  /** The API process restarted: everything it held in memory is gone (connections stay open). */
  restart(): void;
  /** The trainer side: POST /register. */
  registerTrainer(options?: { batchSize?: number; maxTokenLen?: number; numSteps?: number }): Promise<void>;
  /** The trainer side: GET /batch. */
  takeBatch(): Promise<{ batch: Group[] | null }>;
  /** The trainer side: GET /batch until it answers null; every batch it got. */
  takeAllBatches(): Promise<Group[][]>;
  step(): number;
  close(): Promise<void>;
}

export async function startFakeAtropos(): Promise<FakeAtropos> {
  const requests: AtroposRequest[] = [];
  const injections = new Map<string, Injection[]>();
  const fresh = () => ({ registered: false, started: false, queueMade: false, step: 0, batchSize: -1, maxTokenLen: -1, numSteps: -1 });
  const state = fresh();
  const envs: Env[] = [];
  const queue: Group[] = [];
  const buffer = new Map<number, Group[]>();
  /** Batches cut from the queue and not yet handed to the trainer (server.py's curr_batch). */
  const cutBatches: Group[][] = [];
  const fake = { maxQueue: 0 };

  // Request bodies are loosely typed on purpose: the fake answers what server.py would for any input.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const handlers: Record<string, (body: any) => [number, unknown]> = {
    'POST /register': (body) => {
      // server.py: `if not hasattr(app.state, "queue")`: only the first registration on a state without a queue counts.
      if (!state.queueMade) Object.assign(state, { registered: true, queueMade: true, batchSize: body.batch_size, maxTokenLen: body.max_token_len, numSteps: body.num_steps, step: body.starting_step });
      return [200, { uuid: 1 }];
    },
    'POST /register-env': (body) => {
      if (!state.started) return [200, { status: 'wait for trainer to start' }];
      const realName = `${body.desired_name}_${envs.filter((e) => e.desiredName === body.desired_name).length}`;
      envs.push({ maxContextLen: body.max_token_length, weight: body.weight ?? 1, desiredName: body.desired_name, groupSize: body.group_size, minBatchAllocation: body.min_batch_allocation ?? null, connected: true });
      return [200, { status: 'success', env_id: envs.length - 1, wandb_name: realName, checkpoint_dir: '/ckpt', starting_step: state.step, checkpoint_interval: 10, num_steps: state.numSteps }];
    },
    'POST /disconnect-env': (body) => {
      const env = envs[body.env_id];
      if (!env) return [200, { status: 'failure', error: 'list index out of range' }];
      env.connected = false;
      return [200, { status: 'success' }];
    },
    'GET /info': () => [200, state.registered ? { batch_size: state.batchSize, max_token_len: state.maxTokenLen } : { batch_size: -1, max_token_len: -1 }],
    'GET /status': () => [200, { current_step: state.step, queue_size: queue.length }],
    'GET /batch': () => {
      if (!state.registered) return [200, { status: 'error', message: 'Trainer not registered. Call /register first.', batch: [] }];
      state.started = true;
      return [200, { batch: grabBatch() }];
    },
    'GET /status-env': (body) => {
      if (typeof body?.env_id !== 'number') return [422, { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] }];
      const env = envs[body.env_id];
      // server.py indexes app.state.envs (missing before a trainer registered): AttributeError or IndexError, a 500.
      if (!state.registered || !env) return [500, 'Internal Server Error'];
      const total = envs.filter((e) => e.connected).reduce((sum, e) => sum + e.maxContextLen * Math.max(0, e.weight), 0);
      if (total === 0) return [500, 'Internal Server Error'];
      let groupSize = env.groupSize;
      let maxGroupSize = 1;
      let self = 0;
      let others = 0;
      for (const item of queue) {
        maxGroupSize = Math.max(maxGroupSize, item.tokens.length);
        if (item.env_id === body.env_id) {
          groupSize = Math.max(groupSize, item.tokens.length);
          self += item.tokens.length;
        } else others += item.tokens.length;
      }
      env.groupSize = groupSize;
      const minTotal = envs.filter((e) => e.connected && e.minBatchAllocation !== null).reduce((sum, e) => sum + (e.minBatchAllocation ?? 0), 0);
      return [200, {
        current_step: state.step,
        queue_size: Math.floor((self + others) / groupSize),
        unallocated_fraction: 1 - Math.min(minTotal, 1),
        self_queue_size: Math.floor(self / groupSize),
        max_group_size: maxGroupSize,
        env_weight: Math.max(0.01, (env.maxContextLen * env.weight) / total),
      }];
    },
    'POST /scored_data': (body) => {
      const problem = scoredDataProblem(body);
      if (problem) return [422, { detail: [{ type: 'value_error', loc: ['body'], msg: problem }] }];
      state.queueMade = true;
      return [200, accept(body as Group)];
    },
  };

  function accept(group: Group): unknown {
    const env = typeof group.env_id === 'number' ? envs[group.env_id] : undefined;
    if (env && group.tokens.length !== env.groupSize) {
      const pending = buffer.get(group.env_id as number) ?? [];
      pending.push(group);
      buffer.set(group.env_id as number, pending);
      const picked = groupsSumming(pending.map((g) => g.tokens.length), env.groupSize);
      if (picked.length > 0) {
        const moved = picked.map((i) => pending[i] as Group);
        buffer.set(group.env_id as number, pending.filter((_, i) => !picked.includes(i)));
        enqueue(...moved);
      }
      return { status: 'buffered', buffer_size: (buffer.get(group.env_id as number) ?? []).reduce((sum, g) => sum + g.tokens.length, 0) };
    }
    enqueue(group);
    return { status: 'received' };
  }

  function enqueue(...groups: Group[]): void {
    queue.push(...groups);
    fake.maxQueue = Math.max(fake.maxQueue, queue.length);
  }

  /**
   * As server.py's GET /batch: a batch cut earlier is handed out first (the last one cut);
   * when none is left, every batch the queue holds is cut at once and the step advances by
   * their number.
   */
  function grabBatch(): Group[] | null {
    if (cutBatches.length === 0) {
      for (let batch = takeExactBatch(queue, state.batchSize); batch; batch = takeExactBatch(queue, state.batchSize)) cutBatches.push(batch);
      state.step += cutBatches.length;
    }
    return cutBatches.pop() ?? null;
  }

  /** Requests each connection carried so far. */
  const servedOn = new WeakMap<Socket, number>();
  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const servedBefore = servedOn.get(req.socket) ?? 0;
    servedOn.set(req.socket, servedBefore + 1);
    const text = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = text === '' ? undefined : safeJson(text);
    const injected = injections.get(path)?.shift();
    if (injected && 'resetIfReused' in injected && servedBefore > 0) return void req.socket.destroy();
    requests.push({ method: req.method ?? 'GET', path, body });
    if (injected && 'status' in injected) return sendJson(res, injected.status, injected.body ?? { detail: 'Internal Server Error' });
    const handler = handlers[`${req.method} ${path}`];
    if (!handler) return sendJson(res, 404, { detail: 'Not Found' });
    const [status, reply] = handler(body);
    if (injected && 'dropAfterProcessing' in injected) return void res.socket?.destroy();
    sendJson(res, status, reply);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown) => (await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json();

  return {
    url,
    requests,
    envs,
    queue,
    buffer,
    get maxQueue() {
      return fake.maxQueue;
    },
    inject: (path, ...items) => void injections.set(path, [...(injections.get(path) ?? []), ...items]),
    restart: () => {
      Object.assign(state, fresh());
      envs.splice(0);
      queue.splice(0);
      buffer.clear();
      cutBatches.splice(0);
    },
    registerTrainer: async (options = {}) => {
      await call('POST', '/register', { wandb_group: 'g', wandb_project: 'p', batch_size: options.batchSize ?? 8, max_token_len: options.maxTokenLen ?? 100_000, checkpoint_dir: '/ckpt', save_checkpoint_interval: 10, starting_step: 0, num_steps: options.numSteps ?? 1000 });
    },
    takeBatch: () => call('GET', '/batch') as Promise<{ batch: Group[] | null }>,
    takeAllBatches: async () => {
      const batches: Group[][] = [];
      const next = async () => ((await call('GET', '/batch')) as { batch: Group[] | null }).batch;
      for (let batch = await next(); batch; batch = await next()) batches.push(batch);
      return batches;
    },
    step: () => state.step,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * One batch of exactly `batchSize` sequences taken out of `queue`, as atroposlib's
 * grab_exact_from_heterogeneous_queue (api/utils.py) takes it, or undefined (the queue then
 * untouched). Groups are never split, and a group is only taken as part of a "pack" of groups of
 * one size adding up to the largest group size queued: with groups of 4 queued, a pack is one 4,
 * or two 2s, or four 1s; a 3 is never in one. Packs go in the order they complete, oldest first,
 * until the batch is exactly full; overshooting it gives no batch at all.
 */
export function takeExactBatch<G extends { tokens: unknown[] }>(queue: G[], batchSize: number): G[] | undefined {
  const sizes = queue.map((group) => group.tokens.length);
  if (queue.length === 0 || sizes.reduce((a, b) => a + b, 0) < batchSize) return undefined;
  const taken: number[] = [];
  let sequences = 0;
  for (const index of packedInOrder(sizes, Math.max(...sizes))) {
    taken.push(index);
    sequences += sizes[index] as number;
    if (sequences === batchSize) break;
    if (sequences > batchSize) return undefined;
  }
  if (sequences !== batchSize) return undefined;
  const batch = taken.map((index) => queue[index] as G);
  const rest = queue.filter((_, index) => !taken.includes(index));
  queue.splice(0, queue.length, ...rest);
  return batch;
}

/** Indices of the groups that complete a pack of `packSize` sequences with others of their size, pack by pack. */
function packedInOrder(sizes: readonly number[], packSize: number): number[] {
  const waiting = new Map<number, number[]>();
  const packed: number[] = [];
  sizes.forEach((size, index) => {
    const sameSize = [...(waiting.get(size) ?? []), index];
    if (sameSize.length * size === packSize) {
      packed.push(...sameSize);
      waiting.set(size, []);
    } else waiting.set(size, sameSize);
  });
  return packed;
}

/** Indices of whole groups, preferring the oldest, whose sizes add up to `target`; [] when none do. */
export function groupsSumming(sizes: readonly number[], target: number): number[] {
  const reachable = new Map<number, number[]>([[0, []]]);
  for (let i = 0; i < sizes.length; i++) {
    for (const [sum, picked] of [...reachable]) {
      const next = sum + (sizes[i] as number);
      if (next <= target && !reachable.has(next)) reachable.set(next, [...picked, i]);
    }
    if (reachable.has(target)) return reachable.get(target) as number[];
  }
  return [];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function scoredDataProblem(body: any): string | undefined {
  const isIntMatrix = (v: unknown) => Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((x) => Number.isInteger(x)));
  if (!isIntMatrix(body?.tokens)) return 'tokens: Input should be a valid list of lists of integers';
  if (!isIntMatrix(body?.masks)) return 'masks: Input should be a valid list of lists of integers';
  if (!Array.isArray(body?.scores) || !body.scores.every((s: unknown) => typeof s === 'number')) return 'scores: Input should be a valid list of numbers';
  if (body.messages != null) {
    for (const list of body.messages) for (const msg of list) if (!('role' in msg) || !('content' in msg)) return "Message must have 'role' and 'content' fields";
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

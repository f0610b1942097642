/**
 * Settings of batch runs and the Atropos environment (src/rl). Command-line flags
 * override these per run; these are the defaults a team sets once.
 */
import { z } from 'zod';
import { hostPath } from './host-path.js';
import { httpUrl } from './http-url.js';
import type { EnvBinding } from './env.js';
import { flag } from './flag.js';
import { timerMs } from './duration.js';

export const rlSchema = z
  .object({
    /** Tasks run at once in `cairn batch run`. */
    concurrency: z.number().int().min(1).max(1024).default(8),
    /** Worker processes of `cairn batch run` and `cairn atropos serve` (1: the tasks run in the command's own process). */
    workers: z.number().int().min(1).max(256).default(1),
    /** One task (its whole tool loop) may take this long before it is recorded as a timeout. */
    taskTimeoutMs: timerMs(300_000),
    /** The Atropos trajectory API (`run-api`). */
    atroposUrl: httpUrl().default('http://localhost:8000'),
    /** The policy's tokenize endpoint (vLLM `/tokenize`); derived from the model's base URL when unset. */
    tokenizeUrl: httpUrl().optional(),
    /** A Hugging Face tokenizer folder (tokenizer.json + chat template); when set, used instead of the tokenize endpoint. */
    tokenizerPath: hostPath().optional(),
    /** Lets `cairn export --live` turn real users' chat tasks into training data (off: they are people's conversations). */
    exportLiveTasks: flag(false),
  })
  .prefault({});

export type RlConfig = z.output<typeof rlSchema>;

export const RL_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_BATCH_CONCURRENCY', path: ['rl', 'concurrency'], kind: 'int', help: 'Tasks a batch run works on at once (default 8; --concurrency wins).' },
  { name: 'CAIRN_BATCH_WORKERS', path: ['rl', 'workers'], kind: 'int', help: 'Processes running a batch run or Atropos environment (this one and n − 1 workers), for machines with cores to spare (default 1; --workers wins).' },
  { name: 'CAIRN_BATCH_TASK_TIMEOUT_MS', path: ['rl', 'taskTimeoutMs'], kind: 'int', help: 'Longest one batch task may run before it is recorded as a timeout (default 300000).' },
  { name: 'CAIRN_ATROPOS_URL', path: ['rl', 'atroposUrl'], kind: 'string', help: 'Atropos trajectory API for `cairn atropos serve` (default http://localhost:8000).' },
  { name: 'CAIRN_EXPORT_LIVE_TASKS', path: ['rl', 'exportLiveTasks'], kind: 'string', help: 'true lets `cairn export --live` export chat tasks (default false).' },
  { name: 'CAIRN_TOKENIZER_PATH', path: ['rl', 'tokenizerPath'], kind: 'string', help: "The policy's tokenizer folder (tokenizer.json + tokenizer_config.json with its chat template), instead of the tokenize endpoint." },
  { name: 'CAIRN_TOKENIZE_URL', path: ['rl', 'tokenizeUrl'], kind: 'string', help: "The policy's tokenize endpoint (vLLM /tokenize); default: the model base URL without a trailing /v1, plus /tokenize (http://host:8000/v1 → http://host:8000/tokenize)." },
];

/**
 * Core overhead per turn: everything but the model's own latency (gateway, session
 * lookup, SQLite writes, prompt assembly, tool registry), with an instant model on
 * loopback through the real openai client. Overhead = turn time − time inside the
 * model call. Target: p99 < 5 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFakeModelServer } from '../test/fakes/model-server.js';
import { loadConfig } from '../src/config/load.js';
import { createCairn } from '../src/main.js';
import { createModelClient } from '../src/model/client.js';
import { silentLogger } from '../src/core/logger.js';
import type { ModelClient } from '../src/model/types.js';
import { RecordingAdapter } from '../test/helpers/recording-adapter.js';
import { summarize, trackPeakRss } from './stats.js';

const TURNS = 2_000;
const CONVERSATIONS = 100;
const WARMUP = 200;

export async function turnBenchmark() {
  const server = await startFakeModelServer({ defaultReply: () => ({ text: 'ok', usage: { prompt_tokens: 50, completion_tokens: 1 } }) });
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const config = loadConfig({ env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir });
  const real = createModelClient({ providers: config.providers, timeoutMs: 10_000, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 }, logger: silentLogger });
  let modelMs = 0;
  const timed: ModelClient = {
    async complete(request) {
      const started = performance.now();
      try {
        return await real.complete(request);
      } finally {
        modelMs += performance.now() - started;
      }
    },
  };
  const cairn = createCairn(config, { model: timed, logger: silentLogger });
  const adapter = new RecordingAdapter('bench');
  cairn.gateway.attach(adapter);

  const overhead: number[] = [];
  const total: number[] = [];
  const rss = trackPeakRss();
  for (let i = 0; i < WARMUP + TURNS; i++) {
    const message = adapter.message(`message number ${i} about something`, { conversationId: `bench:c${i % CONVERSATIONS}` });
    modelMs = 0;
    const started = performance.now();
    await cairn.gateway.receive(message);
    const elapsed = performance.now() - started;
    if (i >= WARMUP) {
      total.push(elapsed);
      overhead.push(elapsed - modelMs);
    }
  }
  const peakRssMiB = rss.stop();
  await cairn.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  const overheadMs = summarize(overhead);
  return {
    name: 'turn',
    turns: TURNS,
    conversations: CONVERSATIONS,
    overheadMs,
    totalWithLoopbackModelMs: summarize(total),
    peakRssMiB,
    target: { overheadP99Ms: 5 },
    meetsTarget: overheadMs.p99 < 5,
  };
}

// One batch benchmark process, started by bench/batch.ts: the compiled build's runBatch in a
// fresh plain Node process (no tsx, no source maps, nothing else loaded), as `cairn batch run`
// runs it. Plain JavaScript so that it needs no loader. Over IPC: it says `ready` once the build
// is loaded; each `run` message runs the tasks once more (a second one meets a warmed-up process)
// and answers with the measurements; `exit` ends it.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root] = process.argv.slice(2);
if (!root || !process.send) throw new Error('bench/batch-run.mjs runs only as a child of bench/batch.ts');
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const [{ loadConfig }, { runBatch }] = await Promise.all([load('src/config/load.js'), load('src/rl/batch.js')]);

process.on('message', async (message) => {
  if (message.type === 'exit') process.exit(0);
  const { tasksFile, dir, url, workers, concurrency } = message;
  const config = loadConfig({ env: { CAIRN_BASE_URL: url, CAIRN_MODEL: 'bench', CAIRN_DATA_DIR: join(dir, 'data'), CAIRN_LOG_LEVEL: 'silent' }, dotenv: false, cwd: dir });
  const progress = new Writable({ write: (_chunk, _enc, done) => done() });
  let workersStartedMs;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await runBatch(
    { tasksFile, outDir: join(dir, 'out'), concurrency, timeoutMs: 60_000, resume: false, workers },
    { config, progress, notice: () => {}, onWorkersStarted: (ms) => (workersStartedMs = ms) },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  process.send({
    wallMs,
    runMs: result.runMs,
    workersStartedMs,
    finished: result.summary.tasks.finished,
    ok: result.summary.tasks.ok,
    cpuMs: (cpu.user + cpu.system) / 1000,
    // The kernel's high-water mark of this process (KiB): the peak, without sampling.
    peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
  });
});
process.send({ type: 'ready' });

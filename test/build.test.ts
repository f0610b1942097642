/**
 * The compiled build (scripts/build.mjs): when it counts as fresh, that a failed build
 * leaves the previous one whole, and that the compiled build really runs: the CLI finds the
 * bundled skills from dist/, and a batch runs in this process and a compiled worker process,
 * scored by a TypeScript reward module.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCairn, buildIsFresh } from '../scripts/build.mjs';
import { startFakeModelServer, type FakeModelServer } from './fakes/model-server.js';
import { tempDir } from './helpers/cairn.js';
import { runCli } from './helpers/cli.js';
import { holdRepliesUntilWorkersStart, sessionsIn, toolScript, writeTasks } from './rl/helpers.js';
import { readAllTrajectories } from '../src/rl/jsonl.js';
import type { loadConfig as loadConfigType } from '../src/config/load.js';
import type { runBatch as runBatchType } from '../src/rl/batch.js';
import type { Job, JobAnswer } from '../src/core/documents/jobs.js';
import { makePdf } from './helpers/pdf.js';
import { makePptx } from './helpers/office.js';

/** Dates every source 2 minutes back and the build 1 minute back: a build made after the last change. */
function age(root: string): void {
  const back = (path: string, seconds: number) => utimesSync(path, new Date(Date.now() - seconds * 1000), new Date(Date.now() - seconds * 1000));
  const visit = (path: string) => {
    back(path, 120);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(join(path, entry.name));
      else back(join(path, entry.name), 120);
    }
  };
  visit(join(root, 'src'));
  back(join(root, 'dist', 'build-info.json'), 60);
}

describe('the build', () => {
  it('is fresh until a source file or folder changes after it', async () => {
    const root = tempDir('cairn-build-');
    mkdirSync(join(root, 'src', 'core'), { recursive: true });
    writeFileSync(join(root, 'src', 'core', 'a.ts'), 'export const a: number = 1;\n');
    writeFileSync(join(root, 'src', 'core', 'unused.ts'), 'export {};\n');
    writeFileSync(join(root, 'src', 'b.ts'), "import { a } from './core/a.js';\nexport const b = a + 1;\n");
    expect(buildIsFresh(root)).toBe(false);

    const entryPoints = ['src/b.ts'];
    const result = await buildCairn({ root, entryPoints });
    // Bundled: b.ts with what it imports, and nothing it does not.
    expect(result.modules).toBe(2);
    expect(readFileSync(join(root, 'dist', 'src', 'b.js'), 'utf8')).toContain('a = 1');
    expect(existsSync(join(root, 'dist', 'src', 'core'))).toBe(false);
    expect(((await import(pathToFileURL(join(root, 'dist', 'src', 'b.js')).href)) as { b: number }).b).toBe(2);
    age(root);
    expect(buildIsFresh(root)).toBe(true);

    // Any source counts, imported or not.
    writeFileSync(join(root, 'src', 'core', 'unused.ts'), 'export const unused = 1;\n');
    expect(buildIsFresh(root)).toBe(false);
    await buildCairn({ root, entryPoints });
    age(root);
    expect(buildIsFresh(root)).toBe(true);
    // A deleted file shows only in its folder's mtime.
    rmSync(join(root, 'src', 'core', 'unused.ts'));
    expect(buildIsFresh(root)).toBe(false);
  });

  it('keeps the previous build whole when a build fails, and leaves no staging folder', async () => {
    const root = tempDir('cairn-build-');
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'ok.ts'), 'export const ok = true;\n');
    await buildCairn({ root, entryPoints: ['src/ok.ts'] });
    writeFileSync(join(root, 'src', 'broken.ts'), 'export const = ;\n');

    await expect(buildCairn({ root, entryPoints: ['src/ok.ts', 'src/broken.ts'] })).rejects.toThrow(/broken\.ts/);
    expect(readdirSync(root).sort()).toEqual(['dist', 'src']);
    expect(existsSync(join(root, 'dist', 'src', 'ok.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'src', 'broken.js'))).toBe(false);
    expect(buildIsFresh(root)).toBe(false);
  });

  it('names the entry point that is missing', async () => {
    await expect(buildCairn({ root: tempDir('cairn-build-') })).rejects.toThrow(/no such source: .*src\/cli\.ts/);
  });
});

describe('the compiled CLI', () => {
  // Inside the checkout (gitignored), so that packages resolve from node_modules and the package root is found.
  const outDir = join(process.cwd(), `.scratch-build-test-${process.pid}`);
  let server: FakeModelServer;
  beforeAll(async () => {
    await buildCairn({ root: process.cwd(), outDir });
    server = await startFakeModelServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  /** The compiled CLI's main(), started without bin/cairn.js (which would pick dist/ or the sources by itself). */
  function compiledCairn(args: string[], cwd: string) {
    const script = 'const { main } = await import(process.argv[1]); await main(["node", "cairn", ...process.argv.slice(2)]);';
    return runCli(args, {
      cwd,
      entry: ['--input-type=module', '-e', script, pathToFileURL(join(outDir, 'src', 'cli.js')).href],
      env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model', CAIRN_LOG_LEVEL: 'silent' },
    });
  }

  it('lists the bundled skills, found from dist/', async () => {
    const cwd = tempDir('cairn-built-');
    const listed = await compiledCairn(['skills', 'list', '--json'], cwd);
    expect(listed.code, listed.stderr).toBe(0);
    const bundled = readdirSync(join(process.cwd(), 'skills'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(bundled.length).toBeGreaterThan(0);
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((skill) => skill.name);
    for (const skill of bundled) expect(names).toContain(skill.name);
  });

  it('runs a batch in this process and a compiled worker process, scored by a TypeScript reward module', async () => {
    // The compiled runBatch, as `cairn batch run` calls it; answers wait until the worker is ready, so it gets tasks too.
    const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(outDir, path)).href)) as T;
    const { runBatch } = await load<{ runBatch: typeof runBatchType }>('src/rl/batch.js');
    const { loadConfig } = await load<{ loadConfig: typeof loadConfigType }>('src/config/load.js');
    const deps = holdRepliesUntilWorkersStart(server, toolScript((prompt) => `answer to ${prompt}`));
    const cwd = tempDir('cairn-built-');
    writeFileSync(join(cwd, 'tools.ts'), 'export default function reward(trajectory: { toolStats: { calls: number } }): number {\n  return trajectory.toolStats.calls > 0 ? 0.75 : 0;\n}\n');
    const tasks = Array.from({ length: 8 }, (_, i) => ({ id: `b${i}`, prompt: `question ${i}`, reward: { type: 'custom', module: './tools.ts' } }));
    const config = loadConfig({ env: { CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model', CAIRN_DATA_DIR: join(cwd, 'data'), CAIRN_LOG_LEVEL: 'silent' }, dotenv: false, cwd });
    const out = join(cwd, 'out');
    const result = await runBatch({ tasksFile: writeTasks(tasks, cwd), outDir: out, concurrency: 4, timeoutMs: 60_000, resume: false, workers: 2 }, { config, progress: quiet, notice: () => {}, ...deps });

    expect(result.summary.tasks).toMatchObject({ finished: 8, ok: 8 });
    const rewards = (await readAllTrajectories(join(out, 'trajectories.jsonl'))).map((trajectory) => trajectory.reward);
    expect(rewards).toEqual(Array.from({ length: 8 }, () => 0.75));
    for (const db of ['cairn.db', 'cairn.1.db']) expect(sessionsIn(join(out, db)), db).toBeGreaterThan(0);
  });

  it('reads documents in its compiled document process, where pool.ts starts it from', async () => {
    // Compiled, the pool finds child.js under the build folder (src/core/worker-entry.ts), as the batch above found its worker.
    const child = fork(join(outDir, 'src', 'core', 'documents', 'child.js'), [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ask = (job: Job) =>
      new Promise<JobAnswer>((resolve) => {
        child.once('message', (answer) => resolve(answer as JobAnswer));
        child.send(job);
      });
    try {
      expect(await ask({ kind: 'pdf-text', bytes: makePdf([['Order 12']]) })).toEqual({ ok: true, result: { text: 'Order 12', pages: 1 } });
      expect(await ask({ kind: 'office-text', bytes: makePptx([{ lines: ['Roadmap'] }]), format: 'pptx' })).toEqual({ ok: true, result: { text: '[slide 1]\nRoadmap', about: 'its slide' } });
      expect(await ask({ kind: 'office-text', bytes: Buffer.from('nope'), format: 'xlsx' })).toEqual({ ok: false, error: { code: 'invalid_input', message: 'it is not an Excel workbook (not the zip archive that a .xlsx file is)' } });
    } finally {
      child.kill();
    }
  });
});

const quiet = new Writable({ write: (_chunk, _enc, done) => done() });


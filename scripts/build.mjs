// Compiles Cairn's TypeScript (src/, adapters/) to plain JavaScript in dist/, file for file.
// Plain JS starts about twice as fast as the sources under tsx (no loader hooks, no
// transform, no source-map lookups), which every `cairn` command and every batch worker
// process pays. esbuild only strips types: `npm test` is what typechecks.
//
// `node scripts/build.mjs` builds dist/; npm runs it on install and start with --or-run-sources,
// which reports a failed build without failing the install (the sources still run).
// bin/cairn.js uses dist/ only while it is fresh (see buildIsFresh) and the sources otherwise.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SOURCE_DIRS = ['src', 'adapters'];
const STAMP = 'build-info.json';

/** The newest modification time (ms) among the source files and their folders; 0 when there are none. */
function newestSourceMtime(root) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    // A folder's mtime moves when a file in it is added, renamed or deleted.
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const dir of SOURCE_DIRS) visit(join(root, dir));
  return newest;
}

/** True when `outDir` holds a complete build made after the last change to the sources. */
export function buildIsFresh(root, outDir = join(root, 'dist')) {
  const stamp = statSync(join(outDir, STAMP), { throwIfNoEntry: false });
  return stamp !== undefined && stamp.mtimeMs >= newestSourceMtime(root);
}

function sourceFiles(root) {
  const files = [];
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  return files;
}

/**
 * Builds into a fresh folder beside `outDir` and swaps it in, so an interrupted build
 * leaves the previous dist/ (or none) and never a half-written one.
 */
export async function buildCairn({ root, outDir = join(root, 'dist') }) {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const staging = `${outDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const entryPoints = sourceFiles(root);
    if (entryPoints.length === 0) throw new Error(`no sources under ${SOURCE_DIRS.map((dir) => join(root, dir)).join(' or ')}`);
    await build({
      entryPoints,
      outdir: staging,
      outbase: root,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    // The stamp is written last and dated from before the build started: a source saved while
    // the build ran makes the result stale rather than wrongly fresh.
    const stamp = join(staging, STAMP);
    writeFileSync(stamp, `${JSON.stringify({ builtAt: new Date(startedAt).toISOString(), files: entryPoints.length }, null, 2)}\n`);
    utimesSync(stamp, new Date(startedAt), new Date(startedAt));
    swapIn(staging, outDir);
    return { outDir, files: entryPoints.length, ms: Date.now() - startedAt };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function swapIn(staging, outDir) {
  mkdirSync(dirname(outDir), { recursive: true });
  const previous = `${outDir}.previous-${process.pid}`;
  if (existsSync(outDir)) renameSync(outDir, previous);
  renameSync(staging, outDir);
  rmSync(previous, { recursive: true, force: true });
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const result = await buildCairn({ root });
    console.error(`cairn: built ${result.files} files into ${relative(process.cwd(), result.outDir) || '.'} in ${result.ms} ms`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // On install and start a failed build must not stop anything: bin/cairn.js runs the sources instead.
    if (process.argv.includes('--or-run-sources')) console.error(`cairn: the build failed, so cairn will run from the TypeScript sources (slower to start): ${reason}`);
    else {
      console.error(`cairn: the build failed: ${reason}`);
      process.exitCode = 1;
    }
  }
}

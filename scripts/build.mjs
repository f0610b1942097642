// Bundles Cairn's TypeScript (src/, adapters/) into plain JavaScript in dist/.
// Plain JS starts about twice as fast as the sources under tsx (no loader hooks, no
// transform, no source-map lookups), which every `cairn` command and every batch worker
// process pays. Bundling (with code splitting, so what loads lazily still does) halves
// that start again: Node's module loader costs about as much per module as running it, and
// Cairn with the packages it always loads is some 450 modules. esbuild only strips types:
// `npm test` is what typechecks.
//
// `node scripts/build.mjs` builds dist/; npm runs it on install and start with --or-run-sources,
// which reports a failed build without failing the install (the sources still run).
// bin/cairn.js uses dist/ only while it is fresh (see buildIsFresh) and the sources otherwise.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/**
 * Where the build starts: the CLI, the worker processes it forks (batch workers, document readers)
 * (src/core/worker-entry.ts finds them by these paths), and what the batch benchmark imports.
 * Relative to the root.
 */
export const ENTRY_POINTS = ['src/cli.ts', 'src/rl/workers/child.ts', 'src/core/documents/child.ts', 'src/rl/batch.ts', 'src/config/load.ts'];

/**
 * Packages bundled in: pure JavaScript on every start's path, otherwise loaded as hundreds of
 * small modules (pino too: Cairn uses no pino transport, the part that loads files from its own
 * folder). Every other package stays in node_modules: native modules, those that load files or
 * start processes from their own folder (tsx, node-cron's daemon, discord.js), and the SDKs of
 * back ends and platforms, which load only when used.
 */
const BUNDLED_PACKAGES = new Set(['openai', 'zod', 'yaml', 'gray-matter', 'commander', 'pino', 'fastest-levenshtein']);

const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * Leaves the packages Cairn imports to Node at run time, except BUNDLED_PACKAGES, which come in
 * with everything they import themselves (from their own nested node_modules too: gray-matter
 * needs its own js-yaml 3, which dist/ could not find).
 */
const keepPackagesExternal = {
  name: 'keep-packages-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (isBuiltin(path)) return { external: true };
      if (importer.includes(`${sep}node_modules${sep}`) || BUNDLED_PACKAGES.has(packageName(path))) return undefined;
      return { external: true };
    });
  },
};

/**
 * Builds into a fresh folder beside `outDir` and swaps it in, so an interrupted build
 * leaves the previous dist/ (or none) and never a half-written one.
 */
export async function buildCairn({ root, outDir = join(root, 'dist'), entryPoints = ENTRY_POINTS }) {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const staging = `${outDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const missing = entryPoints.filter((entry) => !existsSync(join(root, entry)));
    if (missing.length > 0) throw new Error(`no such source: ${missing.map((entry) => join(root, entry)).join(', ')}`);
    const { metafile } = await build({
      entryPoints: entryPoints.map((entry) => join(root, entry)),
      outdir: staging,
      outbase: root,
      bundle: true,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      plugins: [keepPackagesExternal],
      // Bundled CommonJS packages require Node's builtins: ES modules have no `require` of their own.
      banner: { js: "import { createRequire as __cairnCreateRequire } from 'node:module'; const require = __cairnCreateRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    const modules = Object.keys(metafile.inputs).filter((input) => !input.includes('node_modules/')).length;
    // The stamp is written last and dated from before the build started: a source saved while
    // the build ran makes the result stale rather than wrongly fresh.
    const stamp = join(staging, STAMP);
    writeFileSync(stamp, `${JSON.stringify({ builtAt: new Date(startedAt).toISOString(), modules }, null, 2)}\n`);
    utimesSync(stamp, new Date(startedAt), new Date(startedAt));
    swapIn(staging, outDir);
    return { outDir, modules, ms: Date.now() - startedAt };
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
    console.error(`cairn: built ${result.modules} modules into ${relative(process.cwd(), result.outDir) || '.'} in ${result.ms} ms`);
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

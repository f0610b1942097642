/**
 * The file a worker (a process or a thread) starts from. From the TypeScript sources it is
 * a small .mjs beside the caller, which registers tsx and imports the worker's .ts.
 * Compiled, the caller sits in some chunk of the bundle and the worker is one of the
 * build's entry points (ENTRY_POINTS in scripts/build.mjs), under the folder that holds
 * the build's stamp.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `sourceEntry`: relative to the caller's source file; `builtEntry`: relative to the build folder (e.g. `src/rl/workers/child.js`). */
export function workerEntry(callerUrl: string, sourceEntry: string, builtEntry: string): string {
  return callerUrl.endsWith('.ts') ? fileURLToPath(new URL(sourceEntry, callerUrl)) : join(buildFolder(callerUrl), builtEntry);
}

function buildFolder(callerUrl: string): string {
  const here = dirname(fileURLToPath(callerUrl));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'build-info.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No build-info.json above ${here}: this build of Cairn is incomplete; run \`npm run build\`.`);
  }
}

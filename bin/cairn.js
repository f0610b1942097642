#!/usr/bin/env node
// Runs the compiled build (dist/, made by scripts/build.mjs on `npm install`) while it is
// up to date with the sources, and the TypeScript sources through tsx otherwise, so an
// edited checkout never runs stale code: it only starts slower until the next build.
import { fileURLToPath } from 'node:url';
import { nodeVersionProblem } from '../scripts/node-version.mjs';

const tooOld = nodeVersionProblem(process.versions.node);
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { buildIsFresh } = await import('../scripts/build.mjs');

let cli;
if (buildIsFresh(fileURLToPath(new URL('..', import.meta.url)))) {
  cli = await import('../dist/src/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
await cli.main(process.argv);

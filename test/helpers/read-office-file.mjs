// Reads one Office file as a document process does (the caller gives the heap limit, as
// DocumentPool does), then prints what came of it and the process's peak memory: Buffers lie
// outside the heap limit, so only the process's resident set shows what a file cost.
// Usage: node --max-old-space-size=128 read-office-file.mjs <path> <format>
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { officeText } = await import('../../src/core/documents/office-text.ts');
let outcome;
try {
  const { text } = await officeText(readFileSync(process.argv[2]), process.argv[3]);
  outcome = `read ${text.length} characters`;
} catch (error) {
  outcome = error instanceof Error ? error.message : String(error);
}
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
process.stdout.write(JSON.stringify({ outcome, peakMb: Math.round(peakKb / 1024) }));

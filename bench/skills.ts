/**
 * A skills library a year on: 300 learned skills, a CAIRN_SKILLS_DIRS folder of 100 and 20
 * bundled, each SKILL.md ~3 KB, with 50 versions recorded for 40 of them. Times what each
 * session start pays with watchFolders on (the default): the folders' scan and the catalog
 * render for a new opening message, both on the event loop; and the catalog's size. The
 * first render (parsing every file) is reported apart. `CAIRN_BENCH_SKILLS=600` sets the
 * learned count.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/store/db.js';
import { Skills } from '../src/skills/index.js';
import { silentLogger } from '../src/core/logger.js';
import { estimateTokens } from '../src/memory/tokens.js';
import { summarize, trackPeakRss } from './stats.js';

const RUNS = 200;
const TOPICS = ['rotating logs', 'renewing certificates', 'tuning postgres', 'triaging alerts', 'resizing volumes', 'pruning images', 'deploying staging', 'restoring backups'];

function writeSkill(root: string, name: string, topic: string): void {
  mkdirSync(join(root, name), { recursive: true });
  const body = Array.from({ length: 60 }, (_, i) => `${i + 1}. A step of ${topic}: check the output before going on.`).join('\n');
  writeFileSync(join(root, name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${topic} on one of our systems, with the checks people asked for. Use when someone asks for ${topic}.\n---\n\n## Steps\n${body}\n`);
}

export async function skillsBenchmark() {
  const learnedCount = Number(process.env.CAIRN_BENCH_SKILLS ?? 300);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-skills-'));
  const dataDir = join(dir, 'data');
  const team = join(dir, 'team');
  const bundled = join(dir, 'bundled');
  for (let i = 0; i < learnedCount; i++) writeSkill(join(dataDir, 'skills'), `learned-${i}`, TOPICS[i % TOPICS.length] as string);
  for (let i = 0; i < 100; i++) writeSkill(team, `team-${i}`, TOPICS[i % TOPICS.length] as string);
  for (let i = 0; i < 20; i++) writeSkill(bundled, `bundled-${i}`, TOPICS[i % TOPICS.length] as string);
  const db = openDatabase(join(dir, 'cairn.db'));
  let now = Date.UTC(2026, 0, 1);
  const skills = new Skills({ db, dataDir, extraDirs: [team], bundledDir: bundled, catalogTokens: 2_000, clock: { now: () => now }, logger: silentLogger });
  for (let i = 0; i < 40; i++) {
    for (let v = 0; v < 50; v++) skills.writer.patch({ name: `learned-${i}`, find: v === 0 ? '## Steps\n' : `## Steps v${v - 1}\n`, replace: `## Steps v${v}\n`, target: 'body' }, { author: 'agent' });
  }
  const rss = trackPeakRss();
  const context = (i: number) => ({ userId: 'u', userName: 'U', conversationId: `c${i}`, platform: 'bench', isDirect: true, firstMessage: `can you help with ${TOPICS[i % TOPICS.length]} today (${i})`, startedAt: now });
  let started = performance.now();
  const first = skills.catalog.render(context(0)) ?? '';
  const firstMs = performance.now() - started;
  const scans: number[] = [];
  const renders: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    now += 1_000;
    started = performance.now();
    skills.library.scan();
    scans.push(performance.now() - started);
    started = performance.now();
    skills.catalog.render(context(i));
    renders.push(performance.now() - started);
  }
  const result = {
    name: 'skills',
    skills: { learned: learnedCount, extra: 100, bundled: 20, versionRows: db.prepare('SELECT COUNT(*) FROM skill_versions').pluck().get() },
    firstRenderMs: Math.round(firstMs * 10) / 10,
    scanMs: summarize(scans),
    sessionStartCatalogMs: summarize(renders),
    catalog: { tokens: estimateTokens(first), listed: first.split('\n').filter((line) => line.startsWith('- ')).length },
    peakRssMiB: rss.stop(),
  };
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

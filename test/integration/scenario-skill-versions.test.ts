/**
 * A team whose Cairn has refined its skills for a year. The learning loop patched "deploy-staging" every
 * week (each version the whole 6 KB SKILL.md), an automatic rollback undid one patch that did worse, a
 * proposal written against an old version still waits for a person, and a conversation last month read an
 * older version. Another skill, "rotate-certs", was refined daily in its first two weeks and not since; its
 * newest patch is still being judged. The Cairn shares its learned folder with a second Cairn (each with its
 * own database), and a batch run copies the history into its own database.
 *
 * The operator sets CAIRN_KEEP_HISTORY_DAYS=30: the daily sweep empties the old versions' texts that nothing
 * needs and says how much it freed; `cairn skills history` still lists every version, marking the pruned;
 * `cairn skills rollback` to a pruned one says so and names the versions it can go back to; what the
 * automatic rollback, audits, a waiting proposal, a batch run and the other Cairn need is all still there.
 * `cairn skills prune --dry-run` and doctor say what a Cairn that keeps its history could free.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { checkHistory } from '../../src/cli/doctor-history.js';
import { Refiner } from '../../src/learning/refinement.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { silentLogger } from '../../src/core/logger.js';
import { copySkillHistory } from '../../src/rl/skill-history.js';
import { SkillVersions } from '../../src/skills/versions.js';
import { HistoryRetention } from '../../src/store/history-retention.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { makeSkills, type SkillsFixture } from '../skills/helpers.js';
import { judgedUse, skillAudits } from '../learning/helpers.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnOn } from '../helpers/cli-in-process.js';

/** A year before now: `cairn skills prune` and doctor measure days from the real clock, as an operator's shell does. */
const YEAR_AGO = Date.now() - 365 * DAY_MS;
const WEEK = 7 * DAY_MS;
const CHECKLIST = Array.from({ length: 100 }, (_, i) => `- Check item ${i + 1} of the staging checklist before going on.`).join('\n');
const BODY = `## When to use\nDeploying to staging.\n\n## Steps\n1. Build.\n2. Deploy.\n\n## Checklist\n${CHECKLIST}\n`;
const NOWHERE = 'http://127.0.0.1:9';

const fixtures: SkillsFixture[] = [];
const dbs: Db[] = [];
afterAll(() => {
  for (const db of [...dbs, ...fixtures.map((f) => f.db)]) if (db.open) db.close();
});

const textBytes = (db: Db, name: string) => db.prepare<[string], number>('SELECT SUM(octet_length(text)) FROM skill_versions WHERE name = ?').pluck().get(name) ?? 0;
const withText = (f: SkillsFixture, name: string) => f.skills.versions.history(name).filter((v) => v.text !== undefined).map((v) => v.version);

describe('a year of refined skills, and a history kept for 30 days', () => {
  const shared = tempDir('cairn-shared-learned-');
  const teamDir = tempDir('cairn-team-');
  symlinkSync(shared, join(teamDir, 'skills'));
  const team = makeSkills({ dataDir: teamDir });
  fixtures.push(team);
  const { skills, db, clock } = team;
  const tasks = new TaskStore(db);
  const refiner = new Refiner(db, skills, 5, clock, silentLogger);
  const otherDir = tempDir('cairn-other-');
  symlinkSync(shared, join(otherDir, 'skills'));
  const other = makeSkills({ dataDir: otherDir });
  fixtures.push(other);
  /** The other Cairn's agent reads the skill now and then: its own database records what it finds. */
  const otherReads = (at: number) => {
    other.clock.set(at);
    other.skills.versions.ensure(other.skills.find('deploy-staging')!, at);
  };
  const now = YEAR_AGO + 365 * DAY_MS;
  let scratchBefore: Db;

  it('the learning loop refines deploy-staging every week for a year; one patch is rolled back automatically', () => {
    clock.set(YEAR_AGO);
    skills.writer.create({ name: 'deploy-staging', description: 'Deploys a service to staging. Use when deploying to staging.', body: BODY }, { author: 'agent' });
    for (let week = 1; week <= 51; week++) {
      clock.set(YEAR_AGO + week * WEEK);
      if (week === 20) {
        // The patch of week 20 does worse than the version before it on the same model: rolled back, as the loop does.
        const before = skills.versions.latest('deploy-staging')!.version;
        for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('deploy-staging', before, 'success', clock.now() + i)));
        const patch = skills.writer.patch({ name: 'deploy-staging', find: '2. Deploy.', replace: '2. Deploy without the smoke test.', target: 'body' }, { author: 'agent', reason: 'faster' });
        for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('deploy-staging', patch.version, 'failure', clock.now() + 10 + i)));
        expect(refiner.recent()).toEqual([expect.objectContaining({ fromVersion: patch.version, toVersion: before })]);
        continue;
      }
      skills.writer.patch({ name: 'deploy-staging', find: '## Checklist\n', replace: `## Checklist\n- Lesson of week ${week}.\n`, target: 'body' }, { author: 'agent', reason: `learned in week ${week}` });
      if (week % 5 === 0) otherReads(clock.now() + DAY_MS);
    }
    const history = skills.versions.history('deploy-staging');
    expect(history).toHaveLength(53);
    expect(history.filter((v) => v.action === 'rollback').map((v) => v.reason)).toEqual([expect.stringMatching(/^rollback to v20: automatic rollback/)]);
    expect(textBytes(db, 'deploy-staging')).toBeGreaterThan(53 * 6_000);
  });

  it('a proposal against version 30 still waits, and a conversation last month read version 40', () => {
    const v30 = skills.versions.get('deploy-staging', 30)!;
    db.prepare("INSERT INTO skill_proposals (action, skill, payload, reason, status, created_at, base_version, base_hash) VALUES ('patch', 'deploy-staging', '{}', 'a person should decide', 'pending', ?, 30, ?)").run(v30.createdAt, v30.hash);
    skills.uses.record({ sessionId: 'last-month', turn: 1, name: 'deploy-staging', version: 40, viewedAt: now - 20 * DAY_MS });
  });

  it('rotate-certs was refined daily in its first two weeks; its newest patch is still being judged', () => {
    clock.set(YEAR_AGO);
    skills.writer.create({ name: 'rotate-certs', description: 'Rotates TLS certificates. Use when one expires.', body: '## Steps\n1. Renew.\n2. Reload.\n' }, { author: 'agent' });
    let step = '2. Reload.';
    for (let day = 1; day <= 12; day++) {
      clock.set(YEAR_AGO + day * DAY_MS);
      const latest = skills.versions.latest('rotate-certs')!.version;
      if (day === 12) for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('rotate-certs', latest, 'success', clock.now() + i)));
      skills.writer.patch({ name: 'rotate-certs', find: step, replace: (step = `2. Reload (day ${day}).`), target: 'body' }, { author: 'agent' });
    }
    for (let i = 0; i < 4; i++) refiner.afterOutcome(tasks.insert(judgedUse('rotate-certs', 13, 'failure', clock.now() + 10 + i)));
    expect(refiner.recent().filter((r) => r.skill === 'rotate-certs')).toEqual([]);
  });

  it('the other Cairn on the shared folder recorded the skills in its own database; a batch run copied the history', () => {
    expect(other.skills.versions.history('deploy-staging').map((v) => v.action)).toEqual(['import', ...Array<string>(8).fill('edit')]);
    const out = tempDir('cairn-batch-');
    scratchBefore = openDatabase(join(out, 'cairn.db'));
    dbs.push(scratchBefore);
    expect(copySkillHistory(scratchBefore, join(out, 'cairn.db'), teamDir)).toBe(53 + 13);
  });

  const notes = () => readdirSync(join(shared, '.cairn', 'changes')).map((file) => readFileSync(join(shared, '.cairn', 'changes', file), 'utf8'));
  let folderBefore: { skill: string; notes: string[]; otherHistory: string[] };

  it("the daily sweep empties the old texts nothing needs, and says how much it freed", async () => {
    clock.set(now);
    folderBefore = { skill: readFileSync(join(shared, 'deploy-staging', 'SKILL.md'), 'utf8'), notes: notes(), otherHistory: other.skills.versions.history('deploy-staging').map((v) => v.text ?? '') };
    const bytesBefore = textBytes(db, 'deploy-staging');
    const swept = await new HistoryRetention({ db, clock, keepDays: 30 }).sweep();
    expect(swept.skillTexts).toBe(38 + 2);
    expect(swept.skillTextBytes).toBeGreaterThan(35 * 6_000);
    expect(textBytes(db, 'deploy-staging')).toBeLessThan(bytesBefore / 3);
    // Kept: the first, the newest ten, the rollback (v22: v20's text, which v20 still has through it) and the version it
    // went back to, the waiting proposal's base, the version read last month.
    expect(withText(team, 'deploy-staging')).toEqual([1, 20, 22, 30, 40, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53]);
    expect(withText(team, 'rotate-certs')).toEqual([1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    // Every version is still listed, with who, when and why.
    expect(skills.versions.history('deploy-staging')).toHaveLength(53);
    expect(skills.versions.get('deploy-staging', 5)).toMatchObject({ action: 'patch', reason: 'learned in week 4', text: undefined, textPrunedAt: now });
  });

  it('`cairn skills history` marks the pruned versions; a rollback to one says so and names those it can go back to', async () => {
    const lines = await runCairnOn(teamDir, NOWHERE, 'skills', 'history', 'deploy-staging');
    expect(lines.find((line) => line.startsWith('v5 '))).toMatch(/\[text pruned \d{4}-\d{2}-\d{2}\] {2}learned in week 4$/);
    expect(lines.find((line) => line.startsWith('v44 '))).not.toContain('pruned');
    expect(lines.at(-1)).toBe('The text of 38 of these 53 versions was pruned to save space: they cannot be rolled back to.');
    const json = JSON.parse((await runCairnOn(teamDir, NOWHERE, 'skills', 'history', 'deploy-staging', '--json')).join('\n')) as { version: number; textKept: boolean; textPrunedAt: string | null }[];
    expect(json[4]).toMatchObject({ version: 5, textKept: false, textPrunedAt: new Date(now).toISOString() });

    await expect(runCairnOn(teamDir, NOWHERE, 'skills', 'rollback', 'deploy-staging', '5')).rejects.toThrow(
      /Cannot roll skill "deploy-staging" back to version 5: its text was pruned on \d{4}-\d{2}-\d{2} to save space .*Versions whose text is kept: 1, 20, 22, 30, 40, 44–53;/,
    );
    expect(readFileSync(join(shared, 'deploy-staging', 'SKILL.md'), 'utf8')).toBe(folderBefore.skill);
    expect((await runCairnOn(teamDir, NOWHERE, 'skills', 'rollback', 'deploy-staging', '20')).join('\n')).toBe('Rolled deploy-staging back to the text of v20; that is now v54.');
    expect(readFileSync(join(shared, 'deploy-staging', 'SKILL.md'), 'utf8')).toContain('- Lesson of week 19.');
  });

  it("the automatic rollback still has the predecessor's text: rotate-certs' judged patch goes back to it", () => {
    refiner.afterOutcome(tasks.insert(judgedUse('rotate-certs', 13, 'failure', clock.now())));
    expect(refiner.recent()[0]).toMatchObject({ skill: 'rotate-certs', fromVersion: 13, toVersion: 12 });
    expect(readFileSync(join(shared, 'rotate-certs', 'SKILL.md'), 'utf8')).toContain('2. Reload (day 11).');
  });

  it("an audit still counts and names every version's uses", async () => {
    const audit = await skillAudits(team).run('test');
    expect(audit?.status).toBe('done');
    expect(audit?.report).toContain('| deploy-staging | 21 | 5 | 0 | 5 | 0 | 0% |');
  });

  it("the other Cairn's history, the folder and its notes are untouched; its next change is still told apart", () => {
    expect(other.skills.versions.history('deploy-staging').map((v) => v.text ?? '')).toEqual(folderBefore.otherHistory);
    expect(other.skills.versions.history('deploy-staging').every((v) => v.text !== undefined)).toBe(true);
    expect(existsSync(join(shared, '.archive'))).toBe(false);
    other.clock.set(now + DAY_MS);
    other.skills.writer.patch({ name: 'deploy-staging', find: '1. Build.', replace: '1. Build with the cache.', target: 'body' }, { author: 'agent', reason: 'quicker builds' });
    clock.set(now + DAY_MS);
    expect(skills.versions.ensure(skills.find('deploy-staging')!, clock.now()).reason).toMatch(new RegExp(`changed on disk by the Cairn on ${otherDir} \\(its version \\d+, a patch by its agent\\): quicker builds`));
    expect(notes()).toHaveLength(folderBefore.notes.length);
  });

  it("a batch run's copy carries the marks (never an empty text taken for a skill); one copied before keeps its texts", () => {
    const out = tempDir('cairn-batch-');
    const scratch = openDatabase(join(out, 'cairn.db'));
    dbs.push(scratch);
    copySkillHistory(scratch, join(out, 'cairn.db'), teamDir);
    const copied = new SkillVersions(scratch);
    expect(copied.get('deploy-staging', 5)).toMatchObject({ text: undefined, textPrunedAt: now });
    expect(copied.get('deploy-staging', 20)?.text).toContain('- Lesson of week 19.');
    expect(new SkillVersions(scratchBefore).get('deploy-staging', 5)?.text).toContain('- Lesson of week 4.');
  });
});

describe('a Cairn that keeps its history: `cairn skills prune` and doctor', () => {
  const dataDir = tempDir('cairn-keeps-');
  mkdirSync(join(dataDir, 'skills'), { recursive: true });
  const kept = makeSkills({ dataDir });
  fixtures.push(kept);
  const env = { CAIRN_DATA_DIR: dataDir };

  it('doctor says how much the versions hold and what `cairn skills prune` would free', async () => {
    kept.clock.set(YEAR_AGO);
    kept.skills.writer.create({ name: 'deploy-staging', description: 'Deploys a service to staging. Use when deploying to staging.', body: BODY }, { author: 'agent' });
    for (let week = 1; week <= 30; week++) {
      kept.clock.set(YEAR_AGO + week * WEEK);
      kept.skills.writer.patch({ name: 'deploy-staging', find: '## Checklist\n', replace: `## Checklist\n- Lesson of week ${week}.\n`, target: 'body' }, { author: 'agent' });
    }
    const [history, versions] = checkHistory(loadConfig({ env, cwd: dataDir, dotenv: false }));
    expect(history?.detail).toMatch(/^kept forever/);
    expect(versions?.detail).toMatch(/^31 versions of 1 skill hold \d+ kB of text; 20 of them \(\d+ kB\) are past what is kept \(each skill's newest 10, its first, those of the last 90 days and rollbacks' are kept\); `cairn skills prune` empties them/);
  });

  it('--dry-run prunes nothing; then prune does, and a second run finds nothing', async () => {
    const before = textBytes(kept.db, 'deploy-staging');
    const dry = await runCairnOn(dataDir, NOWHERE, 'skills', 'prune', '--dry-run');
    expect(dry[0]).toMatch(/^Would prune the text of 20 versions of 1 skill, \d+ kB\. Kept whole: each skill's newest 10 versions, its first, those made or used in the last 90 days/);
    expect(textBytes(kept.db, 'deploy-staging')).toBe(before);
    await expect(runCairnOn(dataDir, NOWHERE, 'skills', 'prune', '--keep', '1')).rejects.toThrow('--keep must be at least 2');
    const done = await runCairnOn(dataDir, NOWHERE, 'skills', 'prune');
    expect(done[0]).toMatch(/^Pruned the text of 20 versions of 1 skill, \d+ kB\./);
    expect(done[1]).toBe('The room went back to the disk.');
    expect(withText(kept, 'deploy-staging')).toEqual([1, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);
    expect((await runCairnOn(dataDir, NOWHERE, 'skills', 'prune'))[0]).toMatch(/^Nothing to prune\./);
    const [, versions] = checkHistory(loadConfig({ env, cwd: dataDir, dotenv: false }));
    expect(versions?.detail).toMatch(/^31 versions of 1 skill hold \d+ kB of text \(20 pruned before\); nothing to prune/);
  });
});

/** Concurrent writes to one skill, in one process and across processes: every patch lands, the file is never corrupt. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolRegistry } from '../../src/tools/registry.js';
import { parseSkill } from '../../src/skills/format.js';
import { registerSkillTools, Skills } from '../../src/skills/index.js';
import { ProposalStore } from '../../src/learning/proposals.js';
import { openDatabase } from '../../src/store/db.js';
import { silentLogger } from '../../src/core/logger.js';
import { GOOD_BODY, makeSkills, toolContext, type SkillsFixture } from './helpers.js';

const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
});

function slots(count: number): string {
  return Array.from({ length: count }, (_, i) => `- slot-${String(i).padStart(3, '0')}: empty`).join('\n');
}

/** The skill on disk parses, equals its newest version, and every version applied exactly one more patch than the one before. */
function expectIntact(fixture: SkillsFixture, slotCount: number): void {
  const file = join(fixture.learnedDir, 'shared-notes', 'SKILL.md');
  const text = readFileSync(file, 'utf8');
  expect(parseSkill(text, { mode: 'strict', folderName: 'shared-notes' }).errors).toEqual([]);
  const history = fixture.skills.versions.history('shared-notes');
  expect(history.map((v) => v.version)).toEqual(Array.from({ length: slotCount + 1 }, (_, i) => i + 1));
  expect(history.at(-1)?.text).toBe(text);
  history.forEach((version, index) => expect(version.text?.match(/: filled by/g)?.length ?? 0).toBe(index));
  expect(text).not.toContain(': empty');
}

describe('concurrent writes to one skill', () => {
  it('applies 40 simultaneous tool patches one after another, losing none', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    const tools = new ToolRegistry();
    registerSkillTools(tools, fixture.skills);
    const created = await tools.execute({ id: 'c', name: 'skill_create', arguments: JSON.stringify({ name: 'shared-notes', description: 'Shared slots. Use in tests.', body: `# Slots\n\n${slots(40)}\n` }) }, toolContext());
    expect(created.ok).toBe(true);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const id = String(i).padStart(3, '0');
        const args = { name: 'shared-notes', find: `- slot-${id}: empty`, replace: `- slot-${id}: filled by writer ${id}`, reason: `slot ${id}` };
        return tools.execute({ id: `p${i}`, name: 'skill_patch', arguments: JSON.stringify(args) }, toolContext(`session-${i}`));
      }),
    );
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expectIntact(fixture, 40);
  });

  it('serializes patches from four processes at once through the database write lock', async () => {
    const fixture = makeSkills();
    open.push(fixture);
    fixture.skills.writer.create({ name: 'shared-notes', description: 'Shared slots. Use in tests.', body: `# Slots\n\n${slots(60)}\n` }, { author: 'agent' });
    fixture.db.close(); // the workers hold the only connections while they write

    const workers = [0, 1, 2, 3].map((w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'skills', 'fixtures', 'patch-worker.ts'), fixture.dataDir, fixture.bundledDir, String(w * 15), '15'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
      const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
      return { child, ready, exited };
    });
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.end('go\n');
    const results = await Promise.all(workers.map((w) => w.exited));
    expect(results).toEqual(results.map(() => ({ code: 0, stderr: '' })));

    const reopened = makeSkills({ dataDir: fixture.dataDir, bundledDir: fixture.bundledDir });
    open.push(reopened);
    expectIntact(reopened, 60);
    expect(new Set(reopened.skills.versions.history('shared-notes').slice(1).map((v) => v.reason)).size).toBe(60);
  });
});

describe('skill proposals decided from two processes', () => {
  it('checks a proposal is pending and applies it under one write lock: the chat and the CLI never both apply it', () => {
    const bot = makeSkills();
    open.push(bot);
    // The CLI is another process: its own connection and skills layer on the same folder.
    const cliDb = openDatabase(join(bot.dataDir, 'cairn.db'));
    const cliSkills = new Skills({ db: cliDb, dataDir: bot.dataDir, bundledDir: bot.bundledDir, catalogTokens: 2_000, clock: bot.clock, logger: silentLogger });
    open.push({ ...bot, db: cliDb, skills: cliSkills });
    bot.skills.writer.create({ name: 'checking-deploys', description: 'Checks a deploy. Use after each deploy.', body: GOOD_BODY }, { author: 'agent' });
    const inChat = new ProposalStore(bot.db, bot.skills);
    const inCli = new ProposalStore(cliDb, cliSkills);
    const proposal = inChat.add(undefined, { action: 'patch', name: 'checking-deploys', find: '2. Check it.', replace: '2. Check it.\n3. Check the logs.', reason: 'missed an error' }, bot.clock.now());
    // The chat does not wait for the lock here (a real one waits, then finds the proposal decided).
    bot.db.pragma('busy_timeout = 0');
    const read = inCli.get.bind(inCli);
    const whileCliChecks: string[] = [];
    inCli.get = (id: number) => {
      if (whileCliChecks.length === 0) {
        try {
          whileCliChecks.push(inChat.apply(id, 'person', bot.clock.now()).status);
        } catch (error) {
          whileCliChecks.push((error as Error).message);
        }
      }
      return read(id);
    };
    expect(inCli.apply(proposal.id, 'person', bot.clock.now()).status).toBe('applied');
    expect(whileCliChecks).toEqual(['database is locked']);
    expect(() => inChat.apply(proposal.id, 'person', bot.clock.now())).toThrow(`Proposal ${proposal.id} is already applied.`);
    expect(bot.skills.versions.history('checking-deploys').map((v) => v.action)).toEqual(['create', 'patch']);
    expect(readFileSync(join(bot.learnedDir, 'checking-deploys', 'SKILL.md'), 'utf8').split('3. Check the logs.')).toHaveLength(2);
  });
});

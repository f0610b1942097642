/** Which skill versions' texts the pruning policy lets go, batch by batch, and what reading a pruned version gives. */
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { pruningPolicy, SkillVersionPruner, versionRanges } from '../../src/skills/version-pruning.js';
import { useSkillsFixtures, type SkillsFixture } from './helpers.js';

const newSkills = useSkillsFixtures();

/** `count` versions of `name`, one a day from the fixture's clock: a create, then patches. */
function refineDaily({ skills, clock }: SkillsFixture, name: string, count: number): void {
  skills.writer.create({ name, description: `Does ${name}. Use when ${name} is needed.`, body: '## Steps\n1. Start.\n' }, { author: 'agent' });
  for (let day = 1; day < count; day++) {
    clock.advance(DAY_MS);
    skills.writer.patch({ name, find: '## Steps\n', replace: `## Steps\n- day ${day}\n`, target: 'body' }, { author: 'agent' });
  }
}

const kept = (f: SkillsFixture, name: string) => f.skills.versions.history(name).filter((v) => v.text !== undefined).map((v) => v.version);

describe('SkillVersionPruner', () => {
  it('in small batches prunes exactly what one pass would, across skills bigger than a batch', async () => {
    const one = newSkills();
    const many = newSkills();
    for (const f of [one, many]) for (const name of ['alpha-skill', 'beta-skill', 'gamma-skill']) refineDaily(f, name, 25);
    const policy = pruningPolicy(one.clock.now() + 100 * DAY_MS, 90, 5);
    const whole = await new SkillVersionPruner(one.db, policy).pruneAll(0, async () => true, 1_000);
    let batches = 0;
    const small = await new SkillVersionPruner(many.db, policy).pruneAll(
      0,
      async () => {
        batches++;
        return true;
      },
      3,
    );
    expect(whole).toMatchObject({ versions: 3 * 19, skills: 3, lost: 3 * 19 });
    expect(small).toEqual(whole);
    expect(batches).toBe(19);
    for (const name of ['alpha-skill', 'beta-skill', 'gamma-skill']) expect(kept(many, name)).toEqual([1, 21, 22, 23, 24, 25]);
  });

  it('stops between batches when told to, and goes on from there the next time', async () => {
    const f = newSkills();
    refineDaily(f, 'alpha-skill', 30);
    const pruner = new SkillVersionPruner(f.db, pruningPolicy(f.clock.now() + 100 * DAY_MS, 90, 10));
    expect((await pruner.pruneAll(0, async () => false, 4)).versions).toBe(4);
    expect(pruner.plan().versions).toBe(15);
    expect((await pruner.pruneAll(0, async () => true, 4)).versions).toBe(15);
    expect(pruner.plan()).toEqual({ versions: 0, skills: 0, bytes: 0, lost: 0 });
  });

  it('a version with the text of a kept one (a rollback\'s target) loses nothing: reading it gives that text', async () => {
    const f = newSkills();
    refineDaily(f, 'alpha-skill', 5);
    const v2 = f.skills.versions.get('alpha-skill', 2)!;
    f.skills.writer.rollback('alpha-skill', 2, { author: 'person', reason: 'v3 on were wrong' });
    let step = '1. Start.';
    for (let i = 0; i < 4; i++) {
      f.clock.advance(DAY_MS);
      f.skills.writer.patch({ name: 'alpha-skill', find: step, replace: (step = `1. Start (${i}).`), target: 'body' }, { author: 'agent' });
    }
    // v1 first, v6 the rollback (v2's text), v9–v10 the newest two: v2 is pruned but v6 holds its text.
    const result = await new SkillVersionPruner(f.db, pruningPolicy(f.clock.now() + 100 * DAY_MS, 90, 2)).pruneAll(f.clock.now(), async () => true);
    expect(result).toMatchObject({ versions: 6, lost: 5 });
    expect(kept(f, 'alpha-skill')).toEqual([1, 2, 6, 9, 10]);
    expect(f.skills.versions.get('alpha-skill', 2)).toMatchObject({ text: v2.text, textPrunedAt: f.clock.now() });
    expect(f.skills.versions.get('alpha-skill', 3)).toMatchObject({ text: undefined, textPrunedAt: f.clock.now() });
    expect(() => f.skills.writer.rollback('alpha-skill', 3, { author: 'person' })).toThrow(/its text was pruned on .* Versions whose text is kept: 1–2, 6, 9–10;/);
    expect(f.skills.writer.rollback('alpha-skill', 2, { author: 'person' }).text).toBe(v2.text);
  });

  it('never prunes a skill with no more versions than it keeps, nor anything made inside the days', () => {
    const f = newSkills();
    refineDaily(f, 'alpha-skill', 2);
    f.clock.advance(DAY_MS);
    refineDaily(f, 'beta-skill', 40);
    expect(new SkillVersionPruner(f.db, pruningPolicy(f.clock.now(), 90, 2)).plan().versions).toBe(0);
    // beta's versions 20–40 are of the last 20 days, its first is kept: 2–19 go; alpha's two are its newest.
    expect(new SkillVersionPruner(f.db, pruningPolicy(f.clock.now(), 20, 2)).plan()).toMatchObject({ versions: 18, skills: 1 });
  });
});

describe('versionRanges', () => {
  it('shortens runs', () => {
    expect(versionRanges([1, 12, 13, 14, 30, 2])).toBe('1–2, 12–14, 30');
    expect(versionRanges([])).toBe('none');
  });
});

/**
 * A skill folder that is there but does not load (a YAML mistake, say): skill_view and /skills
 * say so, with the load errors and how to check a fix, instead of "no skill named …".
 * (`cairn skills show` is in cli.test.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { registerSkillCommands, registerSkillTools } from '../../src/skills/index.js';
import { skillText, toolContext, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

/** A learned skill whose metadata is indented with a tab: not valid YAML, even when loading leniently. */
function setup() {
  const fixture = newSkills();
  const dir = join(fixture.learnedDir, 'brewing-tea');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'SKILL.md'), '---\nname: brewing-tea\ndescription: Brew tea at four.\nmetadata:\n\tauthor: someone\n---\n\n# Brewing\n1. Boil water.\n');
  const tools = new ToolRegistry();
  registerSkillTools(tools, fixture.skills);
  const commands = new CommandRegistry();
  registerSkillCommands(commands, fixture.skills);
  const view = (name: string) => tools.execute({ id: 'c1', name: 'skill_view', arguments: JSON.stringify({ name }) }, toolContext());
  const slashSkills = (args: string) => commands.run({ message: { command: { name: 'skills', args } } as InboundMessage, args, isAdmin: false });
  return { ...fixture, dir, view, slashSkills };
}

describe('a skill whose SKILL.md does not load', () => {
  it('skill_view says it is there but broken, and why', async () => {
    const { view, dir } = setup();
    const outcome = await view('brewing-tea');
    expect(outcome.ok).toBe(false);
    expect(outcome.content).not.toContain('There is no skill named');
    expect(outcome.content).toContain(`The skill "brewing-tea" is in ${dir} but cannot be loaded`);
    expect(outcome.content).toContain('[frontmatter] The frontmatter is not valid YAML');
    expect(outcome.content).toContain(`cairn skills validate ${dir}`);
  });

  it('/skills <name> says the same', async () => {
    const { slashSkills } = setup();
    const answer = String(await slashSkills('brewing-tea'));
    expect(answer).not.toContain('No skill named');
    expect(answer).toMatch(/"brewing-tea" is in .* but cannot be loaded/);
    expect(answer).toContain('Indent with spaces');
  });

  it('is not reported as broken when another source has a copy that loads (that copy is used)', async () => {
    const { view, bundledDir } = setup();
    writeSkillFolder(bundledDir, 'brewing-tea', skillText('brewing-tea'));
    const outcome = await view('brewing-tea');
    expect(outcome.ok).toBe(true);
    expect(outcome.content).toContain('# Skill: brewing-tea (version 1, bundled)');
  });

  it('leaves an absent name as "no skill named …"', async () => {
    const { view, slashSkills } = setup();
    expect((await view('brewing-coffee')).content).toContain('There is no skill named "brewing-coffee"');
    expect(String(await slashSkills('brewing-coffee'))).toMatch(/^No skill named "brewing-coffee"/);
  });
});

/**
 * /skills in chat, where people check the skill folder they just added: one whose SKILL.md does
 * not load was left out of the list without a word ("No skills yet" when it was the only one),
 * and /skills <name> of an archived skill said there was none.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';
import { registerSkillCommands } from '../../src/skills/index.js';
import { skillText, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

function setup() {
  const fixture = newSkills();
  const commands = new CommandRegistry();
  registerSkillCommands(commands, fixture.skills);
  const slashSkills = async (args = '') => String(await commands.run({ message: { command: { name: 'skills', args } } as InboundMessage, args, isAdmin: false }));
  return { ...fixture, slashSkills };
}

/** A learned skill a person wrote with an unclosed quote in its description: not valid YAML. */
function writeBrokenSkill(learnedDir: string): void {
  const dir = join(learnedDir, 'brewing-tea');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'SKILL.md'), '---\nname: brewing-tea\ndescription: "Brew tea. Use when it is four\n---\n\n# Brewing\n1. Boil water.\n');
}

describe('/skills', () => {
  it('names a skill folder that does not load, instead of "No skills yet"', async () => {
    const { slashSkills, learnedDir } = setup();
    writeBrokenSkill(learnedDir);
    const answer = await slashSkills();
    expect(answer).not.toContain('No skills yet');
    expect(answer).toContain('brewing-tea');
    expect(answer).toContain('/skills brewing-tea');
  });

  it('lists the skills that load and names the one that does not', async () => {
    const { slashSkills, learnedDir, bundledDir } = setup();
    writeBrokenSkill(learnedDir);
    writeSkillFolder(bundledDir, 'making-coffee', skillText('making-coffee'));
    const answer = await slashSkills();
    expect(answer).toContain('- making-coffee (bundled)');
    expect(answer).toMatch(/brewing-tea/);
  });

  it('does not name a broken folder whose name another source has a copy of that loads', async () => {
    const { slashSkills, learnedDir, bundledDir } = setup();
    writeBrokenSkill(learnedDir);
    writeSkillFolder(bundledDir, 'brewing-tea', skillText('brewing-tea'));
    const answer = await slashSkills();
    expect(answer).toContain('- brewing-tea (bundled)');
    expect(answer).not.toMatch(/not load/i);
  });

  it('/skills <name> of an archived skill says it is archived and how to bring it back', async () => {
    const { slashSkills, skills, bundledDir } = setup();
    writeSkillFolder(bundledDir, 'making-coffee', skillText('making-coffee'));
    const archived = skills.writer.archive('making-coffee', { author: 'agent', reason: 'unused' });
    const answer = await slashSkills('making-coffee');
    expect(answer).not.toContain('No skill named');
    expect(answer).toContain('archived');
    expect(answer).toContain(`cairn skills rollback making-coffee ${archived.version - 1}`);
  });
});

/**
 * A skill folder a person named with an underscore or capitals (`brewing_tea`) never loads: /skills
 * said "No skills yet" and `/skills brewing_tea` "No skill named", while the folder sat there. It
 * is now named among the folders that do not load, and asking for it says why and what to rename it to.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { registerSkillCommands, registerSkillTools } from '../../src/skills/index.js';
import { makeSkills, skillText, toolContext, writeSkillFolder, type SkillsFixture } from './helpers.js';

const open: SkillsFixture[] = [];
afterEach(() => {
  for (const fixture of open.splice(0)) fixture.db.close();
});

function setup() {
  const fixture = makeSkills();
  open.push(fixture);
  const commands = new CommandRegistry();
  registerSkillCommands(commands, fixture.skills);
  const tools = new ToolRegistry();
  registerSkillTools(tools, fixture.skills);
  const slashSkills = async (args = '') => String(await commands.run({ message: { command: { name: 'skills', args } } as InboundMessage, args, isAdmin: false }));
  const view = (name: string) => tools.execute({ id: 'v1', name: 'skill_view', arguments: JSON.stringify({ name }) }, toolContext());
  return { ...fixture, slashSkills, view };
}

describe('a skill folder whose name is not a skill name', () => {
  it('is named by /skills, and /skills <folder> says why and what to rename it to', async () => {
    const { slashSkills, learnedDir } = setup();
    writeSkillFolder(learnedDir, 'brewing_tea', skillText('brewing_tea'));
    const list = await slashSkills();
    expect(list).not.toContain('No skills yet');
    expect(list).toContain('Not loaded (the folder or its SKILL.md needs a fix): brewing_tea.');

    const one = await slashSkills('brewing_tea');
    expect(one).toContain(`The skill "brewing_tea" is in ${join(learnedDir, 'brewing_tea')} but cannot be loaded`);
    expect(one).toContain('[name-format] folder "brewing_tea" is not a valid skill name');
    expect(one).toContain('Rename the folder, e.g. to "brewing-tea"');
  });

  it('is listed beside the skills that load, and skill_view of it says it is broken', async () => {
    const { slashSkills, view, bundledDir } = setup();
    writeSkillFolder(bundledDir, 'making-coffee', skillText('making-coffee'));
    writeSkillFolder(bundledDir, 'BrewingTea', skillText('brewing-tea'));
    const list = await slashSkills();
    expect(list).toContain('- making-coffee (bundled)');
    expect(list).toContain('Not loaded (the folder or its SKILL.md needs a fix): BrewingTea.');
    const viewed = await view('BrewingTea');
    expect(viewed.ok).toBe(false);
    expect(viewed.content).toContain('Rename the folder, e.g. to "brewingtea"');
  });

  it('is looked up by its exact name only: paths and other spellings are no skill', async () => {
    const { slashSkills, learnedDir, dataDir } = setup();
    writeSkillFolder(learnedDir, 'brewing_tea', skillText('brewing_tea'));
    mkdirSync(join(dataDir, 'outside_folder'), { recursive: true });
    expect(await slashSkills('Brewing_Tea')).toContain('No skill named "Brewing_Tea"');
    expect(await slashSkills('../outside_folder')).toContain('No skill named "../outside_folder"');
    expect(await slashSkills('.archive')).toContain('No skill named ".archive"');
  });
});

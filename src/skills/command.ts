/** The `/skills` chat command: the catalog as people see it, or one skill's details. */
import type { CommandRegistry } from '../core/commands.js';
import { shorten } from './catalog.js';
import type { Skills } from './index.js';
import { brokenSkillMessage } from './library.js';

export function registerSkillCommands(commands: CommandRegistry, skills: Skills): void {
  commands.register({
    name: 'skills',
    usage: 'skills [name]',
    description: 'list the skills Cairn knows, or show one',
    run: ({ args }) => (args.trim() ? describeSkill(skills, args.trim()) : listSkills(skills)),
  });
}

function listSkills(skills: Skills): string {
  const { skills: all, unloaded } = skills.scan();
  // A folder a person just added with a mistake in its SKILL.md is named, not left out without a word.
  const notLoaded = unloaded.length > 0 ? [`Not loaded (the folder or its SKILL.md needs a fix): ${unloaded.join(', ')}. Send /skills ${unloaded.length === 1 ? unloaded[0] : '<name>'} to see why.`] : [];
  if (all.length === 0) return notLoaded[0] ?? 'No skills yet. Cairn writes them as it learns; people can add folders with a SKILL.md.';
  const lines = all.map((skill) => `- ${skill.name} (${skill.source.kind}): ${shorten(skill.description, 120)}`);
  return [`Skills (${all.length}):`, ...lines, '', ...notLoaded, 'Send /skills <name> for details.'].join('\n');
}

function describeSkill(skills: Skills, name: string): string {
  const skill = skills.find(name);
  if (!skill) {
    const broken = skills.broken(name);
    if (broken) return brokenSkillMessage(name, broken);
    const latest = skills.versions.latest(name);
    if (latest?.action === 'archive') {
      const by = `${latest.author}${latest.reason ? `: ${latest.reason}` : ''}`;
      return `"${name}" is archived (version ${latest.version}, by ${by}), so it is not in the catalog. A person can bring it back with \`cairn skills rollback ${name} ${latest.version - 1 || 1}\`.`;
    }
    const close = skills.suggest(name);
    return `No skill named "${name}".${close.length ? ` Did you mean: ${close.join(', ')}?` : ''}`;
  }
  const latest = skills.versions.latest(name);
  const lines = [`${skill.name} (${skill.source.kind})`, skill.description, ''];
  if (latest) {
    const when = new Date(latest.createdAt).toISOString().slice(0, 16).replace('T', ' ');
    lines.push(`Version ${latest.version}: ${latest.action} by ${latest.author} on ${when} UTC${latest.reason ? ` (${latest.reason})` : ''}`);
  }
  if (skill.warnings.length > 0) lines.push(`Warnings: ${skill.warnings.map((w) => `[${w.rule}] ${w.message}`).join('; ')}`);
  return lines.join('\n');
}

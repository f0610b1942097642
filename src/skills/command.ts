/** The `/skills` chat command: the catalog as people see it, or one skill's details. */
import type { CommandRegistry } from '../core/commands.js';
import { shorten } from './catalog.js';
import type { LoadedSkill, Skills } from './index.js';
import { brokenSkillMessage } from './library.js';

export function registerSkillCommands(commands: CommandRegistry, skills: Skills): void {
  commands.register({
    name: 'skills',
    usage: 'skills [name or words]',
    description: 'list the skills Cairn knows, those about some words, or show one',
    run: ({ args }) => (args.trim() ? describeSkill(skills, args.trim()) : listSkills(skills)),
  });
}

/**
 * Skills listed in one answer. With hundreds the whole list was some 40,000 characters: ten Telegram
 * messages, twenty on Discord. Past this many, the ones used most lately are listed, and how to find the rest.
 */
const LISTED = 20;

function listSkills(skills: Skills): string {
  const { skills: all, unloaded } = skills.scan();
  // A folder a person just added with a mistake in its SKILL.md is named, not left out without a word.
  const notLoaded = unloaded.length > 0 ? [`Not loaded (the folder or its SKILL.md needs a fix): ${shorten(unloaded.join(', '), 300)}. Send /skills ${unloaded.length === 1 ? unloaded[0] : '<name>'} to see why.`] : [];
  if (all.length === 0) return notLoaded[0] ?? 'No skills yet. Cairn writes them as it learns; people can add folders with a SKILL.md.';
  if (all.length <= LISTED) return [`Skills (${all.length}):`, ...all.map(skillLine), '', ...notLoaded, 'Send /skills <name> for details.'].join('\n');
  const uses = skills.recentUses();
  const used = [...all].sort((a, b) => (uses.get(b.name) ?? 0) - (uses.get(a.name) ?? 0) || a.name.localeCompare(b.name)).slice(0, LISTED);
  const which = used.some((skill) => uses.has(skill.name)) ? `the ${LISTED} used most in the last 30 days` : `the first ${LISTED}`;
  return [`Skills (${all.length}; ${which}):`, ...used.map(skillLine), '', ...notLoaded, 'Send /skills <word> to list the skills about it (e.g. /skills deploy), /skills <name> for details; `cairn skills list` prints them all.'].join('\n');
}

function skillLine(skill: LoadedSkill): string {
  return `- ${skill.name} (${skill.source.kind}): ${shorten(skill.description, 120)}`;
}

/** The skills whose name or description has every word of `text`, as a list; undefined when none has. */
function skillsAbout(skills: Skills, text: string): string | undefined {
  const wanted = text.toLowerCase().split(/\s+/).filter(Boolean);
  const found = skills.list().filter((skill) => wanted.every((word) => `${skill.name} ${skill.description}`.toLowerCase().includes(word)));
  if (found.length === 0) return undefined;
  const more = found.length > LISTED ? [`… and ${found.length - LISTED} more: add a word to narrow it, or run \`cairn skills list ${text}\`.`] : [];
  return [`Skills about "${text}" (${found.length}):`, ...found.slice(0, LISTED).map(skillLine), ...more, '', 'Send /skills <name> for details.'].join('\n');
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
    const about = skillsAbout(skills, name);
    if (about) return about;
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

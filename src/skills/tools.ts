/**
 * The skill tools the model calls. skill_view loads a body (or one named file of
 * the skill) and records which version this turn used; the write tools go through
 * SkillWriter, whose errors (every broken rule) reach the model as the tool result.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { headOf } from '../core/text.js';
import type { Tool, ToolContext, ToolRegistry } from '../tools/registry.js';
import { shorten } from './catalog.js';
import { descriptionPatch } from './description-patch.js';
import { listFiles, readTextFile, resolveInside } from './files.js';
import { MAX_COMPATIBILITY_CHARS, MAX_DESCRIPTION_CHARS } from './format.js';
import { brokenSkillMessage } from './library.js';
import { FILE_FOLDERS, MAX_FILES } from './scan.js';
import type { Skills } from './index.js';

const name = z.string().min(1).max(64).describe('the skill name, as in the catalog');

const viewParameters = z.object({
  name,
  file: z.string().min(1).optional().describe('a file inside the skill folder, e.g. references/checklist.md; omit to get the instructions (SKILL.md body)'),
  startLine: z.number().int().min(1).optional().describe('for a long skill or file: the line to read on from, as the last result said'),
  startChar: z.number().int().min(1).optional().describe('for a line too long for one result: the character of startLine to read on from, as the last result said'),
});

/** The most one skill_view returns, so it stays whole under the registry's cut (MAX_TOOL_RESULT_CHARS). */
const MAX_VIEW_CHARS = 16_000;

const createParameters = z.object({
  name: name.describe('new skill name: lowercase a-z, digits and single hyphens, e.g. "optimizing-slow-sql"'),
  description: z.string().min(1).max(MAX_DESCRIPTION_CHARS).describe('what the skill does and when to use it, in one or two sentences (shown in the catalog)'),
  body: z.string().min(1).describe('Markdown instructions with sections: When to use, Prerequisites, Steps, Why it works, Variations, Pitfalls'),
  license: z.string().min(1).optional().describe('license name'),
  compatibility: z.string().min(1).max(MAX_COMPATIBILITY_CHARS).optional().describe('what it needs to work, e.g. "psql 14+"'),
  allowed_tools: z.string().min(1).optional().describe('tools it uses, space-separated'),
  metadata: z.record(z.string(), z.string()).optional().describe('optional string-to-string fields'),
  files: z
    .array(z.object({ path: z.string().describe(`inside ${FILE_FOLDERS.join('/, ')}/, one level deep`), content: z.string() }))
    .max(MAX_FILES)
    .optional()
    .describe('optional supporting text files such as references/examples.md or scripts/check.sh'),
  reason: z.string().optional().describe('what task taught you this'),
});

const patchParameters = z.object({
  name,
  find: z.string().min(1).describe('exact text to replace, copied from skill_view (must occur exactly once); for the description, its text as skill_view shows it'),
  replace: z.string().describe('the new text'),
  target: z.enum(['body', 'frontmatter']).default('body').describe('where to look for the text: the Markdown body (default) or the YAML frontmatter'),
  reason: z.string().min(1).describe('why this change: what went wrong or what was missing'),
});

const archiveParameters = z.object({
  name,
  reason: z.string().min(1).describe('why the skill should leave the catalog'),
});

export function registerSkillTools(tools: ToolRegistry, skills: Skills): void {
  tools.register(viewTool(skills)).register(createTool(skills)).register(patchTool(skills)).register(archiveTool(skills));
}

function viewTool(skills: Skills): Tool<z.infer<typeof viewParameters>> {
  return {
    name: 'skill_view',
    description: 'Load a skill from the catalog: its full instructions, or one of its files. Do this before a task that a skill covers.',
    parameters: viewParameters,
    execute({ name, file, startLine = 1, startChar = 1 }, context) {
      const skill = skills.find(name);
      if (!skill) {
        const broken = skills.broken(name);
        if (broken) throw new CairnError('invalid_input', brokenSkillMessage(name, broken));
        // Archived after this conversation's catalog was made (the idle audit, `cairn skills archive`): the
        // catalog still lists it, so "no skill named" contradicted what the model was shown.
        const latest = skills.versions.latest(name);
        if (latest?.action === 'archive') {
          throw new CairnError('not_found', `The skill "${name}" is archived (version ${latest.version}${latest.reason ? `: ${latest.reason}` : ''}), so it is no longer available, even if the catalog in your instructions still lists it; go on without it.`);
        }
        // Archived by another Cairn on a shared learned folder: its folder moved away under this conversation.
        const elsewhere = skills.shared.lastChange(name);
        if (elsewhere?.action === 'archive') {
          throw new CairnError('not_found', `The skill "${name}" was ${skills.shared.describeChange(elsewhere, 'archived')}, so it is no longer available, even if the catalog in your instructions still lists it; go on without it.`);
        }
        const close = skills.suggest(name);
        throw new CairnError('not_found', `There is no skill named "${name}".${close.length ? ` Closest matches: ${close.join(', ')}.` : ' The catalog in your instructions lists the skills there are.'}`);
      }
      // Resolve the file before recording, so a refused path is not counted as a use.
      const path = file === undefined ? undefined : resolveInside(skill.dir, file);
      const version = skills.versions.ensure(skill, context.now());
      // Reading on in the same skill is not another use of it.
      if (startLine === 1 && startChar === 1) recordUse(skills, context, name, version.version);
      if (path !== undefined) return `# ${name}/${file} (skill version ${version.version})\n\n${pageOf(readTextFile(path, file ?? ''), { startLine, startChar }, `skill_view with this file and`)}`;
      const files = listFiles(skill.dir);
      return [
        `# Skill: ${name} (version ${version.version}, ${skill.source.kind})`,
        skill.description,
        '',
        pageOf(skill.document.body.trim(), { startLine, startChar }, 'skill_view with'),
        ...(files.length > 0 ? ['', `Files in this skill (read one with skill_view and "file"): ${files.join(', ')}`] : []),
      ].join('\n');
    },
  };
}

/**
 * Lines from `startLine` that fit one result, and how to read on: a long runbook came back with
 * its middle cut out by the registry, and there was no way to ask for it. A line longer than one
 * result (a minified JSON asset) is read on from `startChar`: cut with no way on, its end was out
 * of reach.
 */
function pageOf(text: string, { startLine, startChar }: { startLine: number; startChar: number }, readOn: string): string {
  const lines = text.split('\n');
  // A file's final newline ends its last line; it does not start another.
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  if (startLine > lines.length) throw new CairnError('invalid_input', `It has ${lines.length} lines; startLine ${startLine} is past the end.`);
  const first = lines[startLine - 1] ?? '';
  if (startChar > first.length + 1) throw new CairnError('invalid_input', `Line ${startLine} has ${first.length} characters; startChar ${startChar} is past its end.`);
  const rest = first.slice(startChar - 1);
  if (rest.length > MAX_VIEW_CHARS) {
    const head = headOf(rest, MAX_VIEW_CHARS);
    const next = startChar + head.length;
    return `[line ${startLine} of ${lines.length}, characters ${startChar}-${next - 1} of ${first.length}]\n${head} [… line cut]\n[… line ${startLine} goes on: call ${readOn} startLine ${startLine} and startChar ${next}.]`;
  }
  const shown: string[] = [rest];
  let size = rest.length + 1;
  for (const line of lines.slice(startLine)) {
    // A long line after others waits for the next result, where it comes first.
    if (size + line.length + 1 > MAX_VIEW_CHARS) break;
    shown.push(line);
    size += line.length + 1;
  }
  const next = startLine + shown.length;
  if (startLine === 1 && startChar === 1 && next > lines.length) return shown.join('\n');
  const from = startChar > 1 ? ` (line ${startLine} from character ${startChar})` : '';
  const where = `[lines ${startLine}-${next - 1} of ${lines.length}${from}]`;
  return next > lines.length ? `${where}\n${shown.join('\n')}` : `${where}\n${shown.join('\n')}\n[… ${lines.length - next + 1} more lines: call ${readOn} startLine ${next}.]`;
}

function createTool(skills: Skills): Tool<z.infer<typeof createParameters>> {
  return {
    name: 'skill_create',
    description: 'Save a reusable procedure you worked out as a new skill, so later sessions can follow it. Only for procedures that will recur; never include secrets or personal data.',
    parameters: createParameters,
    execute({ name, description, body, license, compatibility, allowed_tools: allowedTools, metadata, files, reason }, context) {
      // The catalog in the prompt may leave the existing skill out (hundreds do not fit): one procedure under
      // a second name is patched apart from the first and crowds the catalog (see similar.ts).
      const same = skills.sameTopicAs(name);
      if (same) {
        throw new CairnError('invalid_input', `There already is a skill for this: "${same.name}" (${shorten(same.description)}). Read it with skill_view and improve it with skill_patch instead; if yours is a different procedure, give it a name that says how it differs.`);
      }
      const created = skills.writer.create({ name, description, body, license, compatibility, allowedTools, metadata, files }, { author: 'agent', reason, sessionId: context.sessionId });
      return `Created skill "${name}" (version ${created.version}). It is in the catalog from the next session on; skill_view works now.`;
    },
  };
}

function patchTool(skills: Skills): Tool<z.infer<typeof patchParameters>> {
  return {
    name: 'skill_patch',
    description: 'Improve a skill by replacing one exact piece of its text (body or frontmatter). Prefer small patches over rewrites; say why.',
    parameters: patchParameters,
    execute({ name, find, replace, target, reason }, context) {
      // skill_view shows the description as parsed, not as the YAML spells it; a patch of it still applies.
      const document = target === 'frontmatter' ? skills.find(name)?.document : undefined;
      const text = (document && descriptionPatch(document, { find, replace })) ?? { find, replace };
      const patched = skills.writer.patch({ name, ...text, target }, { author: 'agent', reason, sessionId: context.sessionId });
      return `Patched skill "${name}": it is now version ${patched.version}. skill_view returns the new text.`;
    },
  };
}

function archiveTool(skills: Skills): Tool<z.infer<typeof archiveParameters>> {
  return {
    name: 'skill_archive',
    description: 'Take a skill that is wrong beyond repair or no longer useful out of the catalog. It is kept in the history and can be restored.',
    parameters: archiveParameters,
    execute({ name, reason }, context) {
      const archived = skills.writer.archive(name, { author: 'agent', reason, sessionId: context.sessionId });
      return `Archived skill "${name}" (version ${archived.version}). It leaves the catalog from the next session on.`;
    },
  };
}

function recordUse(skills: Skills, context: ToolContext, name: string, version: number): void {
  skills.uses.record({ sessionId: context.sessionId, turn: skills.uses.currentTurn(context.sessionId), name, version, viewedAt: context.now() });
  skills.publishUses(context.now());
}

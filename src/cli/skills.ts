/**
 * `cairn skills list|show|validate|history|rollback|prune|archive`: the operator's side of
 * the skills layer, safe beside a running bot (writes take the database's write lock).
 * Changes made here are recorded as a person's.
 */
import { relative } from 'node:path';
import type { Config } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { databasePath, openDatabase } from '../store/db.js';
import { brokenSkillMessage, Skills, type SkillVersion } from '../skills/index.js';
import { skillsPruneCommand } from './skills-prune.js';
import { shorten } from '../skills/catalog.js';
import { formatProblem } from '../skills/rules.js';
import { validatePaths, validateSources } from '../skills/validate.js';
import type { CommandGroup } from './context.js';

export const skillsCommands: CommandGroup = ({ program, config, print }) => {
  const group = program.command('skills').description('list, check and manage skills (agentskills.io SKILL.md folders)');
  const withSkills = <T>(run: (skills: Skills, loaded: Config) => T): T => {
    const loaded = config();
    const db = openDatabase(databasePath(loaded.dataDir));
    try {
      return run(createSkills(loaded, db), loaded);
    } finally {
      db.close();
    }
  };

  group
    .command('list [words...]')
    .description('every skill the agent sees, with its source and version; with words, those whose name or description has them all')
    .option('--json', 'print JSON')
    .action((words: string[], options: { json?: boolean }) =>
      withSkills((skills) => {
        const scan = skills.scan();
        // Hundreds of learned skills scroll past: `list staging` finds deploy-staging and its near-copies.
        const matches = matcher(words);
        const rows = scan.skills.filter((skill) => matches(`${skill.name} ${skill.description}`)).map((skill) => ({
          name: skill.name,
          description: skill.description,
          source: skill.source.kind,
          path: skill.file,
          version: skills.versions.latest(skill.name)?.version ?? null,
          warnings: skill.warnings.map(formatProblem),
        }));
        if (options.json) return print(JSON.stringify(rows, null, 2));
        if (rows.length === 0) print('No skills found.');
        for (const row of rows) print(`${row.name}  [${row.source}${row.version ? ` v${row.version}` : ''}]  ${shorten(row.description, 100)}${row.warnings.length ? `  (${row.warnings.length} warning${row.warnings.length === 1 ? '' : 's'})` : ''}`);
        for (const hidden of scan.shadowed) if (matches(`${hidden.name} ${hidden.description}`)) print(`(shadowed: ${hidden.name} in ${hidden.source.kind} skills, ${hidden.file})`);
        const archived = scan.archived.filter((name) => matches(name));
        if (archived.length > 0) print(`Archived: ${archived.join(', ')}`);
        if (scan.broken.length > 0) print(`Could not load ${scan.broken.length}: run \`cairn skills validate\` for details.`);
        if (words.length > 0) print(`${rows.length} of ${scan.skills.length} skills match "${words.join(' ')}".`);
      }),
    );

  group
    .command('show <name>')
    .description("a skill's SKILL.md, where it lives and its current version")
    .action((name: string) =>
      withSkills((skills) => {
        const skill = skills.find(name);
        if (!skill) {
          const broken = skills.broken(name);
          if (broken) throw new CairnError('invalid_input', brokenSkillMessage(name, broken));
          const latest = skills.versions.latest(name);
          if (latest?.action !== 'archive') throw notFound(skills, name);
          // The newest version's text is never pruned; an archive of long ago says so rather than print nothing.
          if (latest.text === undefined) return print(`# ${name} is archived (version ${latest.version}); its text was pruned.`);
          print(`# ${name} is archived (version ${latest.version}); its last text:`);
          return print(latest.text);
        }
        const version = skills.versions.ensure(skill, systemClock.now());
        print(`# ${skill.name}  [${skill.source.kind} v${version.version}]  ${skill.file}`);
        for (const warning of skill.warnings) print(`# warning: ${formatProblem(warning)}`);
        print(skill.document.text.trimEnd());
      }),
    );

  group
    .command('validate [paths...]')
    .description('check skills against every rule (default: all skill folders); exit code 1 on any problem')
    .action((paths: string[]) =>
      withSkills((skills, loaded) => {
        const options = { knownSecrets: loaded.secrets };
        const report = paths.length > 0 ? validatePaths(paths, options) : validateSources(skills.library.sources, options);
        for (const problem of report.problems) print(formatProblem({ ...problem, ...(problem.file ? { file: display(problem.file) } : {}) }));
        const count = report.problems.length;
        print(`${report.checked.length} skill${report.checked.length === 1 ? '' : 's'} checked: ${count === 0 ? 'no problems' : `${count} problem${count === 1 ? '' : 's'}`}.`);
        if (count > 0) process.exitCode = 1;
      }),
    );

  group
    .command('history <name>')
    .description('every version of a skill: when, what, who and why')
    .option('--json', 'print JSON (without the texts: `cairn skills show` prints the current one)')
    .action((name: string, options: { json?: boolean }) =>
      withSkills((skills) => {
        const skill = skills.find(name);
        if (skill) skills.versions.ensure(skill, systemClock.now());
        const history = skills.versions.history(name);
        // A folder copied in that never loaded has no versions, but "no skill named" sent the person looking for a typo.
        const broken = history.length === 0 ? skills.broken(name) : undefined;
        if (broken) throw new CairnError('invalid_input', brokenSkillMessage(name, broken));
        if (history.length === 0) throw notFound(skills, name);
        // A version whose text was pruned (skills/version-pruning.ts) is still listed, marked: a rollback to it is refused.
        const pruned = (v: SkillVersion) => (v.textPrunedAt === undefined ? null : new Date(v.textPrunedAt).toISOString());
        if (options.json) {
          const rows = history.map((v) => ({ version: v.version, action: v.action, author: v.author, reason: v.reason ?? null, hash: v.hash, source: v.source, sessionId: v.sessionId ?? null, createdAt: new Date(v.createdAt).toISOString(), textPrunedAt: pruned(v), textKept: v.text !== undefined }));
          return print(JSON.stringify(rows, null, 2));
        }
        for (const v of history) {
          const when = new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' ');
          const mark = v.text === undefined ? `[text pruned ${pruned(v)?.slice(0, 10) ?? ''}]  ` : '';
          print(`v${v.version}  ${when}  ${v.action.padEnd(8)}  ${v.author.padEnd(6)}  ${v.hash.slice(0, 12)}  ${mark}${v.reason ?? ''}`.trimEnd());
        }
        const gone = history.filter((v) => v.text === undefined).length;
        if (gone > 0) print(`The text of ${gone} of these ${history.length} versions was pruned to save space: they cannot be rolled back to.`);
      }),
    );

  group
    .command('rollback <name> <version>')
    .description("restore an earlier version's text (recorded as a new version)")
    .option('-r, --reason <text>', 'why')
    .action((name: string, version: string, options: { reason?: string }) =>
      withSkills((skills) => {
        const to = Number(version.replace(/^v/i, ''));
        if (!Number.isInteger(to) || to < 1) throw new CairnError('invalid_input', `"${version}" is not a version number; see \`cairn skills history ${name}\`.`);
        const result = skills.writer.rollback(name, to, { author: 'person', reason: options.reason });
        print(`Rolled ${name} back to the text of v${to}; that is now v${result.version}.`);
      }),
    );

  skillsPruneCommand(group, config, print);

  group
    .command('archive <name>')
    .description('take a skill out of the catalog (kept in history; rollback restores it)')
    .option('-r, --reason <text>', 'why')
    .action((name: string, options: { reason?: string }) =>
      withSkills((skills) => {
        const result = skills.writer.archive(name, { author: 'person', reason: options.reason ?? 'archived from the command line' });
        print(`Archived ${name} (v${result.version}). Restore it with \`cairn skills rollback ${name} ${result.version - 1 || 1}\`.`);
      }),
    );
};

function createSkills(config: Config, db: ReturnType<typeof openDatabase>): Skills {
  return new Skills({ db, dataDir: config.dataDir, extraDirs: config.skills.dirs, catalogTokens: config.skills.catalogTokens, clock: systemClock, logger: silentLogger, knownSecrets: config.secrets });
}

function notFound(skills: Skills, name: string): CairnError {
  const close = skills.suggest(name);
  return new CairnError('not_found', `No skill named "${name}".${close.length ? ` Did you mean: ${close.join(', ')}?` : ' `cairn skills list` shows them all.'}`);
}

/** Whether a text has every one of `words` (any case); no words match everything. */
function matcher(words: readonly string[]): (text: string) => boolean {
  const wanted = words.map((word) => word.toLowerCase());
  return (text) => {
    const lower = text.toLowerCase();
    return wanted.every((word) => lower.includes(word));
  };
}

/** Paths under the working directory are shown relative to it. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

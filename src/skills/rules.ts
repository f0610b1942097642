/**
 * Every rule a skill can break, by name. Validation, write scanning, the CLI and
 * the tools all report problems as `[rule] message`, so a person can look the rule
 * up here and the model can tell exactly what to change.
 */
export const SKILL_RULES = {
  'file-missing': 'a skill is a folder holding SKILL.md',
  frontmatter: 'SKILL.md starts with a YAML mapping between two --- lines',
  'name-required': 'frontmatter has a non-empty name',
  'name-length': 'name is at most 64 characters',
  'name-format': 'name uses only a-z, 0-9 and single hyphens, not at either end',
  'name-folder': 'name equals the name of the folder that holds SKILL.md',
  'description-required': 'frontmatter has a non-empty description',
  'description-length': 'description is at most 1024 characters',
  'description-angle-brackets': 'description has no < or > (it is shown inside the system prompt)',
  'license-type': 'license is a string (a license name or a bundled file)',
  'compatibility-length': 'compatibility is a string of at most 500 characters',
  'metadata-type': 'metadata maps strings to strings (Cairn and other agents put their own fields here)',
  'allowed-tools-type': 'allowed-tools is one string of space-separated tool names',
  'unknown-key': 'only name, description, license, compatibility, metadata and allowed-tools are top-level keys',
  'body-required': 'the Markdown body after the frontmatter says how to do the thing',
  'body-lines': 'the body stays under 500 lines; move detail into references/',
  size: 'SKILL.md and each supporting file stay within the size limits',
  'path-traversal': 'paths stay inside the skill folder (no ../, no absolute paths)',
  'file-duplicate': 'each supporting file is given once (paths that differ only in case are one file on macOS and Windows)',
  secret: 'no credentials, keys or tokens in a skill; name the environment variable instead',
  exfiltration: 'no instructions to send secrets or user data anywhere',
  'override-user': 'no instructions to ignore the user or hide things from them',
  'hidden-text': 'no characters a reader cannot see (zero-width spaces, bidi controls, tag characters): the model reads what people reviewing the skill do not',
} as const;

export type SkillRule = keyof typeof SKILL_RULES;

export interface SkillProblem {
  rule: SkillRule;
  message: string;
  /** The file the problem is in, when known. */
  file?: string;
}

export function problem(rule: SkillRule, message: string, file?: string): SkillProblem {
  return file === undefined ? { rule, message } : { rule, message, file };
}

/** `file: [rule] message`, the one way problems are printed. */
export function formatProblem(p: SkillProblem): string {
  return `${p.file ? `${p.file}: ` : ''}[${p.rule}] ${p.message}`;
}

/** Rules whose message leads with a measure (lines, bytes, characters) where more is worse. */
const MEASURED: ReadonlySet<SkillRule> = new Set(['body-lines', 'size', 'name-length', 'description-length', 'compatibility-length']);
const NUMBER = /\d[\d,]*/g;

/**
 * The problems in `after` that `before` did not have: what a patch adds to a skill that already
 * broke rules. Matched by rule, file and message with the numbers left out (a flagged line's
 * number moves when a line is added above it; a count changes as text is cut), once per
 * occurrence; a measured problem counts as added only when its number grew.
 */
export function addedProblems(before: readonly SkillProblem[], after: readonly SkillProblem[]): SkillProblem[] {
  const key = (p: SkillProblem) => `${p.file ?? ''}\0${p.rule}\0${p.message.replace(NUMBER, '#')}`;
  const measure = (p: SkillProblem) => Number((p.message.match(NUMBER)?.[0] ?? '').replace(/,/g, ''));
  const had = new Map<string, SkillProblem[]>();
  for (const p of before) had.set(key(p), [...(had.get(key(p)) ?? []), p]);
  return after.filter((p) => {
    const same = had.get(key(p))?.shift();
    return same === undefined || (MEASURED.has(p.rule) && measure(p) > measure(same));
  });
}

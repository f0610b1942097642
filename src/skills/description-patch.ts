/**
 * skill_view shows a skill's description as parsed: a folded (`>-`) block on one line, quotes
 * and escapes gone. A frontmatter patch matches the YAML as written, so text the model copied
 * from skill_view was never found. A `find` that is not in the YAML but occurs once in the parsed
 * description becomes a patch of the whole `description:` entry, written out anew the way
 * skill_create writes it.
 */
import YAML from 'yaml';
import type { SkillDocument } from './format.js';

export interface TextPatch {
  find: string;
  replace: string;
}

/** The patch of the YAML that makes `patch` in the parsed description, or undefined when it does not apply. */
export function descriptionPatch(document: SkillDocument, patch: TextPatch): TextPatch | undefined {
  if (patch.find === '' || document.yaml.includes(patch.find)) return undefined;
  const description = document.frontmatter.description;
  if (description.split(patch.find).length !== 2) return undefined;
  const entry = descriptionEntry(document.yaml);
  if (entry === undefined) return undefined;
  const next = description.replace(patch.find, () => patch.replace);
  return { find: entry, replace: YAML.stringify({ description: next }, { lineWidth: 0 }).trimEnd() };
}

/** The `description: …` entry as written (key, value and any folded lines), or undefined. */
function descriptionEntry(yaml: string): string | undefined {
  const document = YAML.parseDocument(yaml);
  if (!YAML.isMap(document.contents)) return undefined;
  const pair = document.contents.items.find((item) => YAML.isScalar(item.key) && item.key.value === 'description');
  const start = YAML.isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  const end = YAML.isNode(pair?.value) ? pair.value.range?.[1] : undefined;
  return start === undefined || end === undefined ? undefined : yaml.slice(start, end).trimEnd();
}

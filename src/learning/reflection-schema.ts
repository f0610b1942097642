/** What reflection asks the aux model for, and the zod schema its answer must pass. */
import { z } from 'zod';
import { MAX_BODY_LINES, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, NAME_PATTERN } from '../skills/format.js';
import { count } from '../core/text.js';
import { redactText } from '../core/redact.js';

/**
 * Most of a proposed change's reason kept, in characters. It is posted to the admins with the change and
 * listed by /proposals; the model's reason had no bound, and one pages long made a post of many parts.
 */
export const MAX_REASON_CHARS = 500;

const CUT_NOTE = /… \(cut: the reason was [\d,]+ characters\)$/;

/**
 * `reason` cut at MAX_REASON_CHARS whole characters (code points: never half an emoji), saying it was cut;
 * one cut already is left as it is (a proposal's reason is cut when stored, and again where it is shown).
 */
export function cappedReason(reason: string): string {
  const chars = [...reason];
  if (chars.length <= MAX_REASON_CHARS) return reason;
  if (CUT_NOTE.test(reason) && [...reason.replace(CUT_NOTE, '')].length <= MAX_REASON_CHARS) return reason;
  return `${chars.slice(0, MAX_REASON_CHARS).join('').trimEnd()}… (cut: the reason was ${count(chars.length)} characters)`;
}

/**
 * The reason is posted to the admin channel and listed by /proposals: a token or password it quotes from the
 * task (a person's DM) is masked, as the skill's own text is refused with one (the skills layer's scan).
 */
const reason = z
  .string()
  .min(1)
  .transform((text) => cappedReason(redactText(text)));

// Checked here as SKILL.md checks it, so a name no skill may have is sent back to the model with the rule.
const skillName = z
  .string()
  .min(1)
  .max(MAX_NAME_CHARS)
  .regex(NAME_PATTERN, { error: 'use lowercase a-z, digits and single hyphens, e.g. "checking-the-region"' });

export const skillChangeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('none') }),
  z.object({
    action: z.literal('create'),
    name: skillName,
    description: z.string().min(1).max(MAX_DESCRIPTION_CHARS),
    body: z.string().min(1),
    reason,
  }),
  z.object({
    action: z.literal('patch'),
    name: skillName,
    find: z.string().min(1),
    replace: z.string(),
    reason,
  }),
]);

// Small models leave out what they have nothing to say about (an empty list, no skill change),
// or write null for it: only the verdict is worth asking again for.
const absent = (value: unknown) => (value === null ? undefined : value);
const notes = z.preprocess(absent, z.array(z.string()).max(10).default([]));

export const reflectionSchema = z.object({
  outcome: z.enum(['success', 'failure', 'unknown']),
  efficient: z.boolean(),
  worked: notes,
  failed: notes,
  assumptions: notes,
  doDifferently: notes,
  skill: z.preprocess(absent, skillChangeSchema.default({ action: 'none' })),
});

export type Reflection = z.infer<typeof reflectionSchema>;
export type SkillChange = z.infer<typeof skillChangeSchema>;

export const REFLECTION_INSTRUCTIONS = `You review a task an AI agent just worked on, to help it improve.
Answer with one JSON object and nothing else:
{
  "outcome": "success" | "failure" | "unknown",   // did the agent solve the user's problem?
  "efficient": true | false,                      // without wasted steps?
  "worked": [short strings], "failed": [short strings],
  "assumptions": [what the agent assumed without checking],
  "doDifferently": [what it should do next time],
  "skill": one of
    {"action": "none"}
    {"action": "create", "name": "kebab-case-name", "description": "what it does and when to use it", "body": "Markdown: ## When to use, ## Steps, ## Why it works, ## Pitfalls", "reason": "..."}
    {"action": "patch", "name": "existing-skill", "find": "exact text in the skill", "replace": "new text", "reason": "..."}
}
Propose a skill only for a reusable procedure (not a one-off fact), never with secrets or personal data.
A skill's name is at most ${MAX_NAME_CHARS} characters of lowercase a-z, digits and single hyphens; its body stays under ${MAX_BODY_LINES} lines.
Prefer patching a skill that was used, or one listed as close to the task, over creating a new one that repeats it. A patch's "find" must be copied exactly from the skill, and occur in it once.`;

/** What reflection asks the aux model for, and the zod schema its answer must pass. */
import { z } from 'zod';

export const skillChangeSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('none') }),
  z.object({
    action: z.literal('create'),
    name: z.string().min(1).max(64),
    description: z.string().min(1).max(1024),
    body: z.string().min(1),
    reason: z.string().min(1),
  }),
  z.object({
    action: z.literal('patch'),
    name: z.string().min(1).max(64),
    find: z.string().min(1),
    replace: z.string(),
    reason: z.string().min(1),
  }),
]);

export const reflectionSchema = z.object({
  outcome: z.enum(['success', 'failure', 'unknown']),
  efficient: z.boolean(),
  worked: z.array(z.string()).max(10),
  failed: z.array(z.string()).max(10),
  assumptions: z.array(z.string()).max(10),
  doDifferently: z.array(z.string()).max(10),
  skill: skillChangeSchema,
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
Prefer patching a skill that was used over creating a new one. A patch's "find" must be copied exactly from the skill.`;

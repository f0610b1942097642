/** Settings of the skills layer: extra skill folders and the catalog's share of the prompt. */
import { z } from 'zod';
import { hostPath } from './host-path.js';
import type { EnvBinding } from './env.js';

export const skillsSchema = z
  .object({
    /**
     * Extra folders of skills (each holding <name>/SKILL.md), read-only to the agent.
     * Precedence: learned (CAIRN_DATA_DIR/skills) > these, in order > bundled (skills/).
     * Relative paths are resolved against the working directory.
     */
    dirs: z.array(hostPath()).default([]),
    /** Token budget of the skills catalog in the system prompt. */
    catalogTokens: z.number().int().min(200).default(2_000),
    /**
     * Re-read the skill folders for each new session, so an edit on disk shows up
     * without a restart. Batch runs turn it off: every task then sees the same skills
     * (changes Cairn itself records, by reflection or a person's command, still show).
     */
    watchFolders: z.boolean().default(true),
  })
  .prefault({});

export type SkillsConfig = z.output<typeof skillsSchema>;

export const SKILLS_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_SKILLS_DIRS', path: ['skills', 'dirs'], kind: 'list', help: 'Comma-separated extra skill folders (read-only; between learned and bundled skills in precedence).' },
  { name: 'CAIRN_SKILLS_CATALOG_TOKENS', path: ['skills', 'catalogTokens'], kind: 'int', help: 'Token budget of the skills catalog in the system prompt (default 2000).' },
];

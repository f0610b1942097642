/**
 * `cairn doctor`'s check of the learned skills folder: whether other Cairns (another bot with its
 * own data folder and database) write it too, and what sharing it means. No network.
 */
import type { Config } from '../config/load.js';
import { learnedSkillsDir } from '../skills/library.js';
import { missingSkillFolders } from '../skills/missing-folders.js';
import { SharedFolder } from '../skills/shared-folder.js';
import type { CheckResult } from './doctor.js';

/** A Cairn not seen for this long is left out (a data folder moved away, a bot retired). */
const GONE_AFTER_MS = 30 * 86_400_000;

export function checkSharedSkills(config: Config, now: number = Date.now()): CheckResult[] {
  const dir = learnedSkillsDir(config.dataDir);
  const shared = new SharedFolder(dir, config.dataDir);
  const others = shared.others().filter((mark) => now - mark.seenAt < GONE_AFTER_MS);
  if (others.length === 0) return [];
  const names = others.map((mark) => `${shared.describe(mark.by)} (last seen ${new Date(mark.seenAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  return [
    {
      name: 'skills',
      ok: true,
      detail: [
        `the learned skills folder ${dir} is shared with ${others.length === 1 ? 'another Cairn' : `${others.length} other Cairns`}: ${names.join(', ')}.`,
        'What one learns the other uses. Each keeps its own history and version numbers (`cairn skills history` names the other Cairn for its changes), and an idle audit counts the uses of both.',
        'Two changes to one skill at the same moment (within the time a network folder caches a file) can leave only the later on disk; the other Cairn\'s history keeps the earlier text (`cairn skills rollback` there brings it back).',
      ].join(' '),
    },
  ];
}

/** Skill folders named by paths that are not there (a data folder moved from another machine): see skills/missing-folders.ts. */
export function checkSkillFolders(config: Config): CheckResult[] {
  const { learned, extra } = missingSkillFolders(config.dataDir, config.skills.dirs);
  return [...(learned ? [learned] : []), ...extra].map((detail) => ({ name: 'skills', ok: false, detail }));
}

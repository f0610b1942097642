/**
 * Skill folders named by an absolute path that is not there: after the data folder moved to another
 * machine (rsync -a keeps a link as a link), `<data folder>/skills` may be a link to the old machine's
 * shared folder, and CAIRN_SKILLS_DIRS may name the old machine's paths. A folder that is not there was
 * skipped without a word: Cairn started with none of its learned skills, and every skill it then wrote
 * failed (mkdir through a dangling link). `cairn start` refuses the first and warns of the second;
 * `cairn doctor` marks both.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { learnedSkillsDir } from './library.js';

export interface MissingSkillFolders {
  /** The learned skills folder is a link that leads nowhere: what to do. */
  learned: string | undefined;
  /** Each extra skills folder that is not there: what to do. */
  extra: string[];
}

export function missingSkillFolders(dataDir: string, extraDirs: readonly string[]): MissingSkillFolders {
  const dir = learnedSkillsDir(dataDir);
  let learned: string | undefined;
  if (isDanglingLink(dir)) {
    const target = readlinkSync(dir);
    learned =
      `${dir} is a link to ${target}, which is not there (was the data folder moved from another machine?). Cairn's learned skills are kept there: without them it would start with none, and could write none. ` +
      `Copy that folder to this machine and point the link at it (\`ln -sfn <the new place> ${dir}\`), or remove the link to start with no learned skills.`;
  }
  const extra = extraDirs
    .filter((extraDir) => !existsSync(extraDir))
    .map((extraDir) => `The skills folder ${extraDir} (CAIRN_SKILLS_DIRS, or skills.dirs in the config file) is not there, so its skills are not in the catalog: name the folder's place on this machine, or leave it out.`);
  return { learned, extra };
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && !existsSync(path);
  } catch {
    return false;
  }
}

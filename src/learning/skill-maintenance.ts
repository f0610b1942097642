/**
 * What audits do to skills, on top of the skills layer: staleness marks (kept in
 * SQLite, cleared by use) and archiving. Bundled skills, those of CAIRN_SKILLS_DIRS and pinned
 * ones (`metadata: { cairn-pinned: "true" }`) are never marked or archived; nor is the agent's
 * learned copy of one of them, since archiving goes by name and would take the original with it.
 */
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Skills } from '../skills/index.js';
import type { SkillInventoryItem, SkillMaintenance } from './audits.js';

export function skillMaintenance(db: Db, skills: Skills, clock: Clock): SkillMaintenance {
  const staleRows = db.prepare<[], { name: string; since: number }>('SELECT name, since FROM skill_stale');
  const mark = db.prepare('INSERT OR REPLACE INTO skill_stale (name, since, reason) VALUES (?, ?, ?)');
  const clear = db.prepare('DELETE FROM skill_stale WHERE name = ?');
  return {
    inventory(): SkillInventoryItem[] {
      const stale = new Map(staleRows.all().map((row) => [row.name, row.since]));
      // Another Cairn on a shared learned folder uses skills this one never does: its uses count too (an
      // archive moves the folder away from it as well), and this one's uses are published for its audits.
      skills.publishUses(clock.now(), true);
      const elsewhere = skills.shared.others();
      const scan = skills.scan();
      // Names a learned copy shadows: each is also a bundled or CAIRN_SKILLS_DIRS skill.
      const providedByPeople = new Set(scan.shadowed.map((skill) => skill.name));
      return scan.skills.map((skill) => {
        // Skills people provide (bundled, or a folder in CAIRN_SKILLS_DIRS) are theirs to retire.
        const pinned = skill.source.kind !== 'learned' || providedByPeople.has(skill.name) || skill.document.frontmatter.metadata?.['cairn-pinned'] === 'true';
        const lastUse = Math.max(skills.uses.lastUsedAt(skill.name) ?? 0, (skill.source.writable && skills.shared.lastUsedElsewhere(skill.name, elsewhere)) || 0);
        const recorded = skills.versions.latest(skill.name);
        // A person's edit on disk is a version only once something records it: recorded now (as the
        // rollback check does), it counts as activity, or a skill just rewritten by hand would be
        // archived as "unused" for the weeks before the edit.
        const latest = !pinned && recorded && recorded.hash !== skill.document.hash ? skills.versions.ensure(skill, clock.now()) : recorded;
        const lastChange = latest?.createdAt;
        const lastActive = Math.max(lastUse ?? 0, lastChange ?? 0);
        const lastActivityAt = lastActive || clock.now();
        // A use or a new version after the mark means it is alive again.
        if (stale.has(skill.name) && lastActive > (stale.get(skill.name) ?? 0)) {
          clear.run(skill.name);
          stale.delete(skill.name);
        }
        return { name: skill.name, pinned, stale: stale.has(skill.name), lastActivityAt, version: latest?.version };
      });
    },
    markStale(name, reason) {
      mark.run(name, clock.now(), reason);
    },
    archive(name, reason) {
      skills.writer.archive(name, { author: 'agent', reason });
      clear.run(name);
    },
  };
}

/**
 * Procedural skills: the third memory layer. Reusable know-how as agentskills.io
 * SKILL.md folders that people and other agents can read.
 *
 *   rules.ts    every rule a skill can break, by name
 *   format.ts   parse + validate SKILL.md (gray-matter, zod), strict or lenient
 *   scan.ts     the safety scan on writes (secrets, traversal, size, exfiltration, overriding the user)
 *   library.ts  where skills live, precedence, mtime-cached loading (hot reload)
 *   catalog.ts  names + descriptions for the prompt prefix, within a token budget
 *   versions.ts every change as a version in SQLite; uses.ts which version each turn viewed
 *   version-pruning.ts  which old versions' texts may go, and pruning them (daily sweep, `cairn skills prune`)
 *   writer.ts   create / patch / archive / rollback: validated, scanned, locked, atomic
 *   tools.ts    skill_view, skill_create, skill_patch, skill_archive; command.ts `/skills`
 *   description-patch.ts  lets skill_patch edit the description as skill_view shows it
 *
 * `Skills` ties them together for the composition root and the CLI.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { PrefixSection } from '../core/prompt.js';
import type { Db } from '../store/db.js';
import { relevance, renderCatalog, words } from './catalog.js';
import { SkillLibrary, skillSources, type BrokenSkill, type LibraryScan, type LoadedSkill } from './library.js';
import { formatProblem } from './rules.js';
import { SharedFolder } from './shared-folder.js';
import { sameTopic } from './similar.js';
import { SkillUses } from './uses.js';
import { SkillVersions } from './versions.js';
import { SkillWriter } from './writer.js';

export interface SkillsOptions {
  db: Db;
  dataDir: string;
  /** Extra skill folders from config, between learned and bundled in precedence. */
  extraDirs?: readonly string[];
  /** Replaces the repository's skills/ folder (tests). */
  bundledDir?: string;
  /** Token budget of the catalog in the prompt prefix. */
  catalogTokens: number;
  /** Re-read the folders on every scan (default); false reads them again only after a recorded change. */
  watchFolders?: boolean;
  clock: Clock;
  logger: Logger;
  /** Configured secrets; a write containing one is refused. */
  knownSecrets?: readonly string[];
}

export interface SkillsScan extends LibraryScan {
  /** Every archived name, whether or not its files are still in a source folder. */
  archived: string[];
}

/** How far back the catalog counts uses, to rank the skills an opening message does not pick out. */
const CATALOG_USES_WINDOW_MS = 30 * 86_400_000;
/**
 * How long one count serves: it scans skill_uses, and every session start renders the catalog. Within
 * it the same opening message gives the same catalog, so the provider's prompt cache still hits.
 */
const CATALOG_USES_TTL_MS = 60 * 60_000;

/** How often uses are published to a shared learned folder (the audits' idle windows are days). */
const PUBLISH_EVERY_MS = 60 * 60_000;

export class Skills {
  readonly library: SkillLibrary;
  readonly versions: SkillVersions;
  readonly uses: SkillUses;
  readonly writer: SkillWriter;
  /** What other Cairns on the same learned folder wrote and used (shared-folder.ts). */
  readonly shared: SharedFolder;
  private lastBroken = '';
  private lastScan: { generation: number; scan: SkillsScan } | undefined;
  private lastPublished: number | undefined;
  private catalogUses: { at: number; counts: ReadonlyMap<string, number> } | undefined;

  constructor(private readonly options: SkillsOptions) {
    const sources = skillSources({ dataDir: options.dataDir, extraDirs: options.extraDirs ?? [], ...(options.bundledDir ? { bundledDir: options.bundledDir } : {}) });
    this.library = new SkillLibrary(sources);
    this.shared = new SharedFolder(this.library.learned.dir, options.dataDir);
    this.versions = new SkillVersions(options.db, this.shared);
    this.uses = new SkillUses(options.db);
    this.writer = new SkillWriter({ db: options.db, library: this.library, versions: this.versions, clock: options.clock, knownSecrets: options.knownSecrets ?? [], shared: this.shared });
  }

  /**
   * Tells the other Cairns on a shared learned folder when this one last used each skill, so their
   * idle audits do not archive what only this one uses. At most once an hour from uses (`force`: an audit).
   */
  publishUses(now: number, force = false): void {
    if (!force && this.lastPublished !== undefined && now - this.lastPublished < PUBLISH_EVERY_MS) return;
    this.lastPublished = now;
    this.shared.publish(now, this.uses.lastUsedByName());
  }

  /**
   * Every source re-read (cheap when unchanged); archived skills are left out of
   * `skills`. With `watchFolders` off the folders are read once and again only after
   * Cairn records a change (a new version row), never for an edit on disk.
   */
  scan(): SkillsScan {
    if (this.options.watchFolders !== false) return this.freshScan();
    const generation = this.versions.generation();
    if (this.lastScan?.generation !== generation) this.lastScan = { generation, scan: this.freshScan() };
    return this.lastScan.scan;
  }

  private freshScan(): SkillsScan {
    const scan = this.library.scan();
    const archivedNames = this.versions.archivedNames();
    return {
      ...scan,
      skills: scan.skills.filter((skill) => !archivedNames.has(skill.name)),
      unloaded: scan.unloaded.filter((name) => !archivedNames.has(name)),
      archived: [...archivedNames].sort(),
    };
  }

  list(): LoadedSkill[] {
    return this.scan().skills;
  }

  /** The skill a name resolves to, unless archived. */
  find(name: string): LoadedSkill | undefined {
    const skill = this.library.find(name);
    return skill && !this.versions.isArchived(name) ? skill : undefined;
  }

  /** The folder of that name that is there but does not load, unless the name is archived. */
  broken(name: string): BrokenSkill | undefined {
    return this.versions.isArchived(name) ? undefined : this.library.broken(name);
  }

  /** Names of the skills closest to a name or keyword, best first. */
  suggest(query: string, limit = 5): string[] {
    const wanted = words(query.replace(/[-_]/g, ' '));
    return this.list()
      .map((skill) => ({ name: skill.name, score: relevance(skill, wanted) + (skill.name.includes(query) || query.includes(skill.name) ? 2 : 0) }))
      .filter((candidate) => candidate.score > 0)
      .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
      .slice(0, limit)
      .map((candidate) => candidate.name);
  }

  /**
   * The skills most relevant to a text (a task's request), best first, with at least one word of it in
   * their name or description: what reflection is shown so it improves one rather than writing a copy.
   */
  related(text: string, limit: number, except: ReadonlySet<string> = new Set()): LoadedSkill[] {
    const wanted = words(text);
    return this.list()
      .filter((skill) => !except.has(skill.name))
      .map((skill) => ({ skill, score: relevance(skill, wanted) }))
      .filter((candidate) => candidate.score > 0)
      .sort((a, b) => b.score - a.score || a.skill.name.localeCompare(b.skill.name))
      .slice(0, limit)
      .map((candidate) => candidate.skill);
  }

  /** A skill that is `name` under other words ("deploy-staging" for "deploying-to-staging"; see similar.ts). */
  sameTopicAs(name: string): LoadedSkill | undefined {
    const skills = this.list();
    const other = sameTopic(name, skills.map((skill) => skill.name));
    return skills.find((skill) => skill.name === other);
  }

  /** The catalog as a section of the stable prompt prefix, rebuilt for each new session. */
  readonly catalog: PrefixSection = {
    name: 'skills',
    render: (context) => {
      const scan = this.scan();
      this.logBroken(scan);
      return renderCatalog(
        scan.skills.map((skill) => ({ name: skill.name, description: skill.description, source: skill.source.kind })),
        { maxTokens: this.options.catalogTokens, query: context.firstMessage, uses: () => this.recentUses() },
      );
    },
  };

  /** Uses of each skill in the last 30 days (CATALOG_USES_WINDOW_MS), counted at most once an hour. */
  recentUses(): ReadonlyMap<string, number> {
    const now = this.options.clock.now();
    if (!this.catalogUses || now - this.catalogUses.at >= CATALOG_USES_TTL_MS || now < this.catalogUses.at) {
      this.catalogUses = { at: now, counts: this.uses.countsSince(now - CATALOG_USES_WINDOW_MS) };
    }
    return this.catalogUses.counts;
  }

  /** Logs skills that failed to load, once per change in that list (not on every session). */
  private logBroken(scan: LibraryScan): void {
    const lines = scan.broken.map(formatProblem);
    const signature = lines.join('\n');
    if (signature === this.lastBroken) return;
    this.lastBroken = signature;
    if (lines.length > 0) this.options.logger.warn({ problems: lines }, 'some skills could not be loaded; run `cairn skills validate`');
  }
}

export { registerSkillTools } from './tools.js';
export { registerSkillCommands } from './command.js';
export { brokenSkillMessage } from './library.js';
export type { BrokenSkill, LoadedSkill, SkillSource, SkillSourceKind } from './library.js';
export type { SkillVersion, SkillAuthor } from './versions.js';
export type { SkillUse } from './uses.js';

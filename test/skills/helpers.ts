/** Builders for skills tests: SKILL.md text, skill folders on disk, and a Skills service over temp folders. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { registerSkillTools, Skills } from '../../src/skills/index.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { ToolRegistry, type ToolContext, type ToolOutcome } from '../../src/tools/registry.js';
import { tempDir } from '../helpers/cairn.js';

export const GOOD_BODY = ['# Doing the thing', '', '## When to use', 'When the thing needs doing.', '', '## Steps', '1. Do it.', '2. Check it.', ''].join('\n');

export interface SkillTextOptions {
  description?: string;
  body?: string;
  /** Extra frontmatter lines, verbatim. */
  extra?: string[];
}

export function skillText(name: string, options: SkillTextOptions = {}): string {
  const description = options.description ?? `Does ${name} things. Use when ${name} is needed.`;
  return ['---', `name: ${name}`, `description: ${JSON.stringify(description)}`, ...(options.extra ?? []), '---', '', options.body ?? GOOD_BODY].join('\n');
}

/** Writes `<root>/<folder>/SKILL.md` (and any files) and returns the folder. */
export function writeSkillFolder(root: string, folder: string, text: string, files: Record<string, string> = {}): string {
  const dir = join(root, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'SKILL.md'), text);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface SkillsFixture {
  skills: Skills;
  db: Db;
  dataDir: string;
  learnedDir: string;
  bundledDir: string;
  clock: ManualClock;
}

export interface SkillsOptions {
  extraDirs?: string[];
  catalogTokens?: number;
  knownSecrets?: string[];
  dataDir?: string;
  bundledDir?: string;
  watchFolders?: boolean;
}

export function makeSkills(options: SkillsOptions = {}): SkillsFixture {
  const dataDir = options.dataDir ?? tempDir('cairn-skills-');
  const bundledDir = options.bundledDir ?? tempDir('cairn-bundled-');
  const db = openDatabase(join(dataDir, 'cairn.db'));
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 9));
  const skills = new Skills({
    db,
    dataDir,
    bundledDir,
    extraDirs: options.extraDirs ?? [],
    catalogTokens: options.catalogTokens ?? 2_000,
    clock,
    logger: silentLogger,
    knownSecrets: options.knownSecrets ?? [],
    ...(options.watchFolders === undefined ? {} : { watchFolders: options.watchFolders }),
  });
  return { skills, db, dataDir, learnedDir: join(dataDir, 'skills'), bundledDir, clock };
}

/**
 * makeSkills for a test file: call at the top, and every fixture the returned function makes in a
 * test has its database closed after that test (one a test closed itself is left as it is).
 */
export function useSkillsFixtures(): (options?: SkillsOptions) => SkillsFixture {
  const open: SkillsFixture[] = [];
  afterEach(() => {
    for (const fixture of open.splice(0)) if (fixture.db.open) fixture.db.close();
  });
  return (options) => {
    const fixture = makeSkills(options);
    open.push(fixture);
    return fixture;
  };
}

/** The skill tools in a registry, and a call of one as the model makes it (arguments as JSON text), by Alice in a DM. */
export function skillTools(skills: Skills): { tools: ToolRegistry; call(name: string, args: object): Promise<ToolOutcome> } {
  const tools = new ToolRegistry();
  registerSkillTools(tools, skills);
  return { tools, call: (name, args) => tools.execute({ id: 'c1', name, arguments: JSON.stringify(args) }, toolContext()) };
}

export function toolContext(sessionId = 'session-1', now = () => Date.UTC(2026, 10, 24, 9)): ToolContext {
  return { sessionId, conversationId: 'test:dm:alice', userId: 'test:alice', platform: 'test', isAdmin: false, signal: new AbortController().signal, now };
}

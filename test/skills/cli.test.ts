/** `cairn skills …`: in-process through the real commander program, plus one real process for the exit code. */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { tempDir } from '../helpers/cairn.js';
import { skillText, writeSkillFolder } from './helpers.js';

let dataDir: string;
beforeEach(() => {
  dataDir = tempDir('cairn-skills-cli-');
  vi.stubEnv('CAIRN_DATA_DIR', dataDir);
  vi.stubEnv('CAIRN_SKILLS_DIRS', '');
  vi.stubEnv('CAIRN_CONFIG', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

/** Runs `cairn skills …` in this process; returns what it printed, the exit code it set, and any error. */
async function cairn(...args: string[]): Promise<{ out: string[]; code: number; error: string | undefined }> {
  const out: string[] = [];
  process.exitCode = undefined;
  let error: string | undefined;
  try {
    await buildProgram((line) => out.push(line)).parseAsync(['node', 'cairn', 'skills', ...args]);
  } catch (thrown) {
    error = (thrown as Error).message;
  }
  const code = Number(process.exitCode ?? (error ? 1 : 0));
  process.exitCode = undefined;
  return { out, code, error };
}

describe('cairn skills', () => {
  it('validate reports every problem with its file and rule, and exit code 1', async () => {
    const bad = writeSkillFolder(tempDir(), 'bad-skill', skillText('other-name', { extra: ['version: 2'], body: 'token = "abc123def456ghi789jkl"\n' }));
    const good = writeSkillFolder(tempDir(), 'good-skill', skillText('good-skill'));
    const run = await cairn('validate', bad, join(good, 'SKILL.md'));
    expect(run.code).toBe(1);
    expect(run.out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/bad-skill\/SKILL\.md: \[name-folder\] name "other-name" does not match its folder "bad-skill"/),
        expect.stringMatching(/bad-skill\/SKILL\.md: \[unknown-key\] "version"/),
        expect.stringMatching(/bad-skill\/SKILL\.md: \[secret\] line 7 /),
      ]),
    );
    expect(run.out.at(-1)).toBe('2 skills checked: 3 problems.');
    expect((await cairn('validate', good)).code).toBe(0);
  });

  it('validate reports a link to a skill that no longer exists, and checks the others', async () => {
    const folder = tempDir();
    writeSkillFolder(folder, 'good-skill', skillText('good-skill'));
    symlinkSync(join(folder, 'moved-away'), join(folder, 'gone-skill'));
    const run = await cairn('validate', folder);
    expect(run.code).toBe(1);
    expect(run.out).toEqual([expect.stringMatching(/gone-skill: \[file-missing\] is a link to something that no longer exists\./), '2 skills checked: 1 problem.']);
  });

  it.each([['.'], ['SKILL.md'], ['./SKILL.md']])('validate finds no problem in a valid skill named as %s from inside its folder', async (path) => {
    const dir = writeSkillFolder(tempDir(), 'good-skill', skillText('good-skill'));
    const home = process.cwd();
    process.chdir(dir);
    try {
      const run = await cairn('validate', path);
      expect([run.out, run.code]).toEqual([['1 skill checked: no problems.'], 0]);
    } finally {
      process.chdir(home);
    }
  });

  it('validate with no paths checks the bundled and learned skills', async () => {
    writeSkillFolder(join(dataDir, 'skills'), 'learned-one', skillText('learned-one'));
    const run = await cairn('validate');
    expect(run.code).toBe(0);
    expect(run.out.at(-1)).toMatch(/^\d+ skills checked: no problems\.$/);
  });

  it('validate with no paths reports a skill nested in a category folder, which the loader cannot load', async () => {
    // skills/<category>/<name>/SKILL.md, the layout some other agents use.
    writeSkillFolder(join(dataDir, 'skills', 'databases'), 'tuning-postgres', skillText('tuning-postgres'));
    const list = (await cairn('list')).out.join('\n');
    expect(list).not.toContain('tuning-postgres');
    expect(list).toContain('Could not load 1');

    const run = await cairn('validate');
    expect(run.code).toBe(1);
    expect(run.out.join('\n')).toMatch(/databases: \[file-missing\] the folder has no SKILL\.md; it holds skill folders \(tuning-postgres\).*Move them up one level\./);
  });

  it('validate with no paths reports a missing CAIRN_SKILLS_DIRS folder', async () => {
    const missing = join(dataDir, 'team-skills');
    vi.stubEnv('CAIRN_SKILLS_DIRS', missing);
    const run = await cairn('validate');
    expect(run.code).toBe(1);
    expect(run.out.join('\n')).toContain('[file-missing] this skills folder (from CAIRN_SKILLS_DIRS) does not exist.');
  });

  it('show on a skill whose SKILL.md does not load says it is there but broken, and how to check it', async () => {
    const dir = join(dataDir, 'skills', 'brewing-tea');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'SKILL.md'), '---\nname: brewing-tea\ndescription: "Brew tea. Use when it is four\n---\n\n# Brewing\n1. Boil water.\n');
    const run = await cairn('show', 'brewing-tea');
    expect(run.code).toBe(1);
    expect(run.error).not.toContain('No skill named');
    expect(run.error).toContain(`The skill "brewing-tea" is in ${dir} but cannot be loaded`);
    expect(run.error).toContain('not valid YAML');
    expect(run.error).toContain(`cairn skills validate ${dir}`);
  });

  it('list, show, history, rollback and archive a skill a person edits on disk', async () => {
    const dir = writeSkillFolder(join(dataDir, 'skills'), 'brewing-tea', skillText('brewing-tea', { description: 'Brew tea. Use at four.' }));
    const original = readFileSync(join(dir, 'SKILL.md'), 'utf8');

    const listed = JSON.parse((await cairn('list', '--json')).out.join('\n')) as { name: string; source: string }[];
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'brewing-tea', source: 'learned' }), expect.objectContaining({ name: 'writing-skills', source: 'bundled' })]));

    const shown = await cairn('show', 'brewing-tea');
    expect(shown.out[0]).toMatch(/^# brewing-tea {2}\[learned v1\]/);
    expect(shown.out.slice(1).join('\n')).toBe(original.trimEnd());

    writeFileSync(join(dir, 'SKILL.md'), original.replace('Brew tea.', 'Brew strong tea.'));
    const history = await cairn('history', 'brewing-tea');
    expect(history.out).toHaveLength(2);
    expect(history.out[0]).toMatch(/^v1 .* import +import /);
    expect(history.out[1]).toMatch(/^v2 .* edit +person .*changed on disk/);

    expect((await cairn('rollback', 'brewing-tea', '1', '--reason', 'too strong')).out).toEqual(['Rolled brewing-tea back to the text of v1; that is now v3.']);
    expect(readFileSync(join(dir, 'SKILL.md'), 'utf8')).toBe(original);

    expect((await cairn('archive', 'brewing-tea')).out[0]).toMatch(/^Archived brewing-tea \(v4\)/);
    expect((await cairn('list')).out.join('\n')).toContain('Archived: ');
    expect((await cairn('show', 'brewing-tea')).out[0]).toBe('# brewing-tea is archived (version 4); its last text:');
  });

  it('says what to do about a missing skill or version', async () => {
    mkdirSync(join(dataDir, 'skills'), { recursive: true });
    expect((await cairn('show', 'writing-skil')).error).toContain('Did you mean: writing-skills?');
    await cairn('history', 'writing-skills');
    const rollback = await cairn('rollback', 'writing-skills', '9');
    expect(rollback.error).toContain('"writing-skills" has versions 1');
    expect((await cairn('rollback', 'writing-skills', 'latest')).error).toContain('is not a version number');
  });
});

describe('the cairn binary', () => {
  it('exits 1 from `cairn skills validate` when a skill breaks a rule', async () => {
    const bad = writeSkillFolder(tempDir(), 'bad-skill', '---\nname: bad-skill\n---\n');
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'cairn.js'), 'skills', 'validate', bad], { cwd: dataDir, env: { PATH: process.env.PATH ?? '', HOME: dataDir, CAIRN_DATA_DIR: dataDir } });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[description-required]');
    expect(run.stdout).toContain('[body-required]');
  });
});

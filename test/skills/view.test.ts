/** skill_view: bodies and files, never outside the skill folder, and which version each turn used. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolRegistry } from '../../src/tools/registry.js';
import { registerSkillTools } from '../../src/skills/index.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { tempDir } from '../helpers/cairn.js';
import { skillText, toolContext, writeSkillFolder, useSkillsFixtures } from './helpers.js';

const newSkills = useSkillsFixtures();

function setup() {
  const fixture = newSkills();
  const tools = new ToolRegistry();
  registerSkillTools(tools, fixture.skills);
  const dir = writeSkillFolder(fixture.bundledDir, 'checking-backups', skillText('checking-backups', { body: '# Checking backups\n\n## Steps\n1. Restore last night.\n' }), {
    'references/restore.md': '# Restore drill\nRestore to a scratch host.\n',
    'assets/logo.png': '\u0000PNG',
  });
  const call = (args: object, sessionId = 'session-1') => tools.execute({ id: 'c1', name: 'skill_view', arguments: JSON.stringify(args) }, toolContext(sessionId));
  return { ...fixture, tools, dir, call };
}

describe('skill_view', () => {
  it('returns the body, the version and the files of the skill', async () => {
    const { call } = setup();
    const outcome = await call({ name: 'checking-backups' });
    expect(outcome.ok).toBe(true);
    expect(outcome.content).toContain('# Skill: checking-backups (version 1, bundled)');
    expect(outcome.content).toContain('1. Restore last night.');
    expect(outcome.content).toContain('references/restore.md');
    expect(outcome.content).not.toContain('name: checking-backups'); // the body, not the frontmatter
  });

  it('returns a named text file inside the skill folder', async () => {
    const { call } = setup();
    expect((await call({ name: 'checking-backups', file: 'references/restore.md' })).content).toContain('Restore to a scratch host.');
    expect((await call({ name: 'checking-backups', file: 'assets/logo.png' })).content).toContain('binary');
    expect((await call({ name: 'checking-backups', file: 'references/none.md' })).content).toContain('has no file');
  });

  it.each([
    ['../', '../other-skill/SKILL.md'],
    ['nested ../', 'references/../../other-skill/SKILL.md'],
    ['backslash ..', '..\\..\\secrets.txt'],
    ['absolute path', '/etc/passwd'],
    ['home path', '~/.ssh/id_rsa'],
  ])('refuses a %s path', async (_kind, file) => {
    const { call, bundledDir } = setup();
    writeSkillFolder(bundledDir, 'other-skill', skillText('other-skill'));
    const outcome = await call({ name: 'checking-backups', file });
    expect(outcome.ok).toBe(false);
    expect(outcome.content).toMatch(/Refused .*(\.\.|absolute)/);
  });

  it('refuses a symlink that leads out of the skill folder, and allows one that stays inside', async () => {
    const { call, dir } = setup();
    const outside = tempDir('cairn-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'references', 'escape.md'));
    symlinkSync(outside, join(dir, 'scripts'));
    mkdirSync(join(dir, 'notes'));
    symlinkSync(join(dir, 'references', 'restore.md'), join(dir, 'notes', 'restore-link.md'));
    for (const file of ['references/escape.md', 'scripts/secret.txt']) {
      const outcome = await call({ name: 'checking-backups', file });
      expect(outcome.ok).toBe(false);
      expect(outcome.content).toContain('outside the skill folder');
      expect(outcome.content).not.toContain('top secret');
    }
    expect((await call({ name: 'checking-backups', file: 'notes/restore-link.md' })).content).toContain('Restore drill');
  });
});

describe('skill uses', () => {
  it('records the version viewed in each turn, keyed by session and turn, for the learning loop', async () => {
    const { call, db, skills, clock, bundledDir } = setup();
    const store = new SessionStore(db);
    const session = store.start({ conversationId: 'test:dm:alice', platform: 'test', userId: 'test:alice', prefix: 'p', model: undefined }, clock.now());
    const turnStart = (text: string) => {
      clock.advance(1_000);
      store.append(session.id, [{ message: { role: 'user', content: text }, userId: 'test:alice' }], clock.now());
      return clock.now();
    };

    const firstAt = turnStart('how do I check backups?');
    await call({ name: 'checking-backups' }, session.id);
    await call({ name: 'checking-backups', file: 'references/restore.md' }, session.id); // same version, one use
    const first = skills.uses.currentTurn(session.id);

    writeSkillFolder(bundledDir, 'checking-backups', skillText('checking-backups', { body: '# Checking backups\n\n## Steps\n1. Restore last night, then verify checksums.\n' }));
    const secondAt = turnStart('and again?');
    await call({ name: 'checking-backups' }, session.id);
    await call({ name: 'no-such-skill' }, session.id);
    const second = skills.uses.currentTurn(session.id);

    expect(second).toBeGreaterThan(first);
    expect(skills.uses.forTurn(session.id, first).map((u) => [u.name, u.version])).toEqual([['checking-backups', 1]]);
    expect(skills.uses.forTurn(session.id, second).map((u) => [u.name, u.version])).toEqual([['checking-backups', 2]]);
    expect(skills.versions.latest('checking-backups')).toMatchObject({ version: 2, action: 'edit', author: 'person' });
    // What TaskRecorder's skillsUsed gets from a TurnResult.
    const viewed = [{ name: 'skill_view' }];
    expect(skills.uses.usedInTurn({ sessionId: session.id, startedAt: firstAt, toolCalls: viewed })).toEqual([{ name: 'checking-backups', version: 1 }]);
    expect(skills.uses.usedInTurn({ sessionId: session.id, startedAt: secondAt, toolCalls: viewed })).toEqual([{ name: 'checking-backups', version: 2 }]);
    expect(skills.uses.usedInTurn({ sessionId: session.id, startedAt: secondAt, toolCalls: [] })).toEqual([]);
    expect(skills.uses.setOutcome(session.id, second, 'success')).toBe(1);
    expect(skills.uses.forVersion('checking-backups', 2)[0]?.outcome).toBe('success');
  });

  it('does not count a refused file as a use', async () => {
    const { call, skills } = setup();
    await call({ name: 'checking-backups', file: '../x' });
    expect(skills.uses.forSession('session-1')).toEqual([]);
  });
});

/**
 * Two processes on one data folder (`cairn chat` beside `cairn start`, or the CLI): one reads a
 * skill just before the other patches it and commits, then records what it read. That read is a
 * version already, not a person's edit undoing the patch (which also kept the patch from being judged).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Skills } from '../../src/skills/index.js';
import { openDatabase } from '../../src/store/db.js';
import { silentLogger } from '../../src/core/logger.js';
import { useSkillsFixtures } from './helpers.js';

const fixtures = useSkillsFixtures();

describe('a skill read just before another process changed it', () => {
  it('is recorded as the version it was, not as a person reverting the change', () => {
    const bot = fixtures();
    bot.skills.writer.create({ name: 'deploying-heron', description: 'Deploy heron. Use when asked.', body: '## Steps\n1. Run deploy.sh.\n' }, { author: 'agent' });
    const db = openDatabase(join(bot.dataDir, 'cairn.db'));
    try {
      const chat = new Skills({ db, dataDir: bot.dataDir, bundledDir: bot.bundledDir, catalogTokens: 2000, clock: bot.clock, logger: silentLogger });
      const stale = chat.find('deploying-heron');
      bot.skills.writer.patch({ name: 'deploying-heron', find: '1. Run deploy.sh.', replace: '1. Run deploy.sh --staging.', target: 'body' }, { author: 'agent' });
      expect(stale && chat.versions.ensure(stale, bot.clock.now()).version).toBe(1);
      const fresh = chat.find('deploying-heron');
      expect(fresh && chat.versions.ensure(fresh, bot.clock.now()).version).toBe(2);
    } finally {
      db.close();
    }
    expect(bot.skills.versions.history('deploying-heron').map((v) => `${v.action} ${v.author}`)).toEqual(['create agent', 'patch agent']);
  });

  it('still records a person edit that was overwritten before it was recorded', () => {
    const bot = fixtures();
    bot.skills.writer.create({ name: 'deploying-heron', description: 'Deploy heron. Use when asked.', body: '## Steps\n1. Run deploy.sh.\n' }, { author: 'agent' });
    const file = join(bot.learnedDir, 'deploying-heron', 'SKILL.md');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('deploy.sh', 'deploy.sh now'));
    const edited = bot.skills.find('deploying-heron');
    writeFileSync(file, original.replace('deploy.sh', 'deploy.sh later'));
    expect(edited && bot.skills.versions.ensure(edited, bot.clock.now()).action).toBe('edit');
  });
});

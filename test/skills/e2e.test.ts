/** Skills in the running core: the gateway, the agent loop and the real openai client against the fake model server. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import type { TurnResult } from '../../src/core/agent.js';
import { skillText, writeSkillFolder } from './helpers.js';

const rig = useFakeModelRig();

const systemPrompt = (request: ChatBody | undefined): string => String(request?.messages?.[0]?.content ?? '');
/** The newest request of a chat turn (the learning loop also calls the model, for reflection). */
const lastTurn = (): ChatBody | undefined => rig.server.chatRequests().filter((request) => systemPrompt(request).startsWith('You are Cairn')).at(-1);
const toolResults = (request: ChatBody | undefined): string[] => (request?.messages ?? []).filter((m: { role: string }) => m.role === 'tool').map((m: { content: string }) => m.content);

describe('skills through the gateway', () => {
  it('puts the bundled catalog in the system prompt, and a hot edit on disk shows in the next session only', async () => {
    const cairn = rig.start();
    const learned = join(cairn.config.dataDir, 'skills');
    const file = join(writeSkillFolder(learned, 'brewing-tea', skillText('brewing-tea', { description: 'Brew green tea at 80 degrees.' })), 'SKILL.md');

    await cairn.gateway.receive(cairn.adapter.message('hello'));
    const first = systemPrompt(lastTurn());
    expect(first).toContain('## Skills');
    expect(first).toContain('- optimizing-slow-sql: Find why a SQL query is slow');
    expect(first).toContain('- brewing-tea: Brew green tea at 80 degrees.');

    // A person edits the file while the session runs: the running session's prefix stays byte-identical.
    writeFileSync(file, readFileSync(file, 'utf8').replace('Brew green tea at 80 degrees.', 'Brew green tea at 75 degrees, for two minutes.'));
    await cairn.gateway.receive(cairn.adapter.message('still there?'));
    expect(systemPrompt(lastTurn())).toBe(first);

    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.gateway.receive(cairn.adapter.message('tea time'));
    const next = systemPrompt(lastTurn());
    expect(next).toContain('- brewing-tea: Brew green tea at 75 degrees, for two minutes.');
    expect(next).not.toContain('80 degrees');
  });

  it('lets the model view a skill, and records the version that turn used for the learning loop', async () => {
    const cairn = rig.start();
    const turns: TurnResult[] = [];
    cairn.agent.onTurnFinished((_input, result) => turns.push(result));
    rig.server.enqueue({ toolCalls: [{ name: 'skill_view', arguments: { name: 'optimizing-slow-sql' } }] }, { text: 'Run EXPLAIN ANALYZE first.' });

    await cairn.gateway.receive(cairn.adapter.message('my query is slow'));
    expect(cairn.adapter.texts()).toEqual(['Run EXPLAIN ANALYZE first.']);
    const [result] = toolResults(lastTurn());
    expect(result).toContain('# Skill: optimizing-slow-sql (version 1, bundled)');
    expect(result).toContain('EXPLAIN (ANALYZE, BUFFERS)');
    const turn = turns[0] as TurnResult;
    expect(cairn.skills.uses.usedInTurn(turn)).toEqual([{ name: 'optimizing-slow-sql', version: 1 }]);
    expect(cairn.skills.versions.latest('optimizing-slow-sql')).toMatchObject({ action: 'import', author: 'import', source: 'bundled' });
  });

  it('lets the model create a skill (the next session lists it) and tells it why a bad one was refused', async () => {
    const cairn = rig.start();
    rig.server.enqueue(
      { toolCalls: [{ name: 'skill_create', arguments: { name: 'restarting-the-worker', description: 'Restart the queue worker safely. Use when jobs pile up.', body: '## Steps\n1. Drain.\n2. Restart.\n', reason: 'did it today' } }] },
      { toolCalls: [{ name: 'skill_create', arguments: { name: 'leaky', description: 'Leaks.', body: '## Steps\nexport GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n' } }] },
      { text: 'Saved the procedure.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('the worker is stuck again'));
    const [created, refused] = toolResults(lastTurn());
    expect(created).toContain('Created skill "restarting-the-worker" (version 1)');
    expect(refused).toContain('[secret]');
    expect(refused).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(cairn.skills.versions.latest('restarting-the-worker')).toMatchObject({ author: 'agent', action: 'create', reason: 'did it today' });

    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    expect(systemPrompt(lastTurn())).toContain('- restarting-the-worker: Restart the queue worker safely.');
  });

  it('answers /skills with the list, and /skills <name> with details', async () => {
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('/skills', { command: { name: 'skills', args: '' } }));
    await cairn.gateway.receive(cairn.adapter.message('/skills writing-skills', { command: { name: 'skills', args: 'writing-skills' } }));
    await cairn.gateway.receive(cairn.adapter.message('/skills tea', { command: { name: 'skills', args: 'tea' } }));
    const [list, one, missing] = cairn.adapter.texts();
    expect(list).toMatch(/^Skills \(\d+\):/);
    expect(list).toContain('- triaging-incidents (bundled):');
    expect(one).toContain('writing-skills (bundled)');
    expect(missing).toBe('No skill named "tea".');
    expect(rig.server.chatRequests()).toHaveLength(0);
  });

  it('reads extra skill folders from CAIRN_SKILLS_DIRS and keeps the catalog within CAIRN_SKILLS_CATALOG_TOKENS', async () => {
    const extra = tempDir('cairn-extra-');
    for (let i = 0; i < 60; i++) writeSkillFolder(extra, `team-skill-${i}`, skillText(`team-skill-${i}`, { description: `Team procedure ${i}. ${'Detail. '.repeat(30)}` }));
    const cairn = rig.start({ CAIRN_SKILLS_DIRS: extra, CAIRN_SKILLS_CATALOG_TOKENS: '600' });
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    // The catalog section runs to the next section of the prefix (pinned notes may follow it).
    const catalog = (systemPrompt(lastTurn()).split('## Skills')[1] ?? '').split('\n## ')[0] ?? '';
    expect(catalog).toContain('- team-skill-');
    expect(catalog).toMatch(/more skills are not listed here/);
    expect(Math.ceil(`## Skills${catalog}`.length / 4)).toBeLessThanOrEqual(600);
  });
});

/**
 * A company runs two Cairns — a Slack bot and a Telegram bot, each with its own data folder and
 * database — whose learned skills folder (`<data folder>/skills`) is one shared folder (a link or a
 * bind mount to the same path), so that what one learns the other can use. Over a month: the
 * Telegram bot learns a skill and the Slack bot sees it; each patches it and the other's history
 * says which Cairn changed it (not "a person"); the Slack bot uses it every day while the Telegram
 * bot never does, and the Telegram bot's idle audit leaves it alone; a person edits it by hand (one
 * person's version in each database); a proposal approved in one after the other changed the skill
 * is refused; the Slack bot archives a skill the Telegram bot has in a running conversation; doctor
 * says the folder is shared, with whom, and what that means.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualClock } from '../../src/core/clock.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import { checkSharedSkills } from '../../src/cli/doctor-skills.js';

let server: FakeModelServer;
const running: TestCairn[] = [];
beforeAll(async () => {
  server = await startFakeModelServer();
  server.setDefault((request: RecordedRequest) => {
    const system = String((request.body as ChatBody).messages?.[0]?.content ?? '');
    if (system.startsWith('You review a task')) return { text: JSON.stringify(NO_CHANGE) };
    if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [] }) };
    return { text: 'ok' };
  });
});
afterAll(async () => {
  await Promise.all(running.map((cairn) => cairn.close()));
  await server.close();
});
const DAY = 86_400_000;
const DAY1 = Date.UTC(2026, 2, 2, 9);
const NO_CHANGE = { outcome: 'success', efficient: true, worked: ['it worked'], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } };
const cronPort: CronPort = () => ({ stop: () => {}, nextRunAfter: (at) => at + DAY });

interface Bot {
  cairn: TestCairn;
  clock: ManualClock;
  dataDir: string;
  /** Runs one of the model's skill tools in this bot, as a turn of `session` would. */
  tool(name: string, args: Record<string, unknown>, session?: string): Promise<{ ok: boolean; content: string }>;
  history(name: string): string[];
}

describe('two Cairns on one shared skills folder', () => {
  const shared = tempDir('cairn-shared-skills-');
  const botOn = (dataDir: string, env: Record<string, string> = {}): Bot => {
    const clock = new ManualClock(DAY1);
    const cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', ...env }, dataDir), { clock, cronPort });
    running.push(cairn);
    return {
      cairn,
      clock,
      dataDir,
      async tool(name, args, session = 'sess-1') {
        return cairn.tools.execute({ id: `c-${name}-${clock.now()}`, name, arguments: JSON.stringify(args) }, { sessionId: session, conversationId: 'test:dm:alice', userId: 'test:alice', platform: 'test', isAdmin: true, signal: new AbortController().signal, now: () => clock.now() });
      },
      history: (name) => cairn.skills.versions.history(name).map((v) => `v${v.version} ${v.action} ${v.author}`),
    };
  };
  const newBot = (env: Record<string, string> = {}): Bot => {
    const dataDir = tempDir();
    mkdirSync(shared, { recursive: true });
    symlinkSync(shared, join(dataDir, 'skills'));
    return botOn(dataDir, env);
  };
  let slack: Bot;
  let telegram: Bot;
  const both = (at: number) => {
    slack.clock.set(at);
    telegram.clock.set(at);
  };

  it('one learns a skill and the other sees it in its catalog', async () => {
    slack = newBot();
    telegram = newBot();
    const created = await telegram.tool('skill_create', { name: 'rotating-certs', description: 'How to rotate the TLS certificates. Use when a certificate expires.', body: '## Steps\n1. Renew.\n2. Reload nginx.\n', reason: 'rotated them today' });
    expect(created.content).toContain('version 1');
    expect(telegram.history('rotating-certs')).toEqual(['v1 create agent']);
    await slack.cairn.gateway.receive(slack.cairn.adapter.message('rotate the certs'));
    expect(String(server.chatRequests().at(-1)?.messages?.[0]?.content)).toContain('rotating-certs: How to rotate the TLS certificates.');
    expect((await slack.tool('skill_view', { name: 'rotating-certs' })).content).toContain('2. Reload nginx.');
    expect(slack.history('rotating-certs')).toEqual(['v1 import import']);
    expect(slack.cairn.skills.versions.latest('rotating-certs')?.reason).toMatch(/^first seen in learned skills \(.+\), written by the Cairn on .+ \(its version 1, a new skill by its agent\): rotated them today$/);
  });

  it("each one's patch is recorded by the other as that Cairn's change, not a person's edit", async () => {
    both(DAY1 + 60_000);
    expect((await slack.tool('skill_patch', { name: 'rotating-certs', find: '2. Reload nginx.', replace: '2. Reload nginx.\n3. Check the expiry date.', reason: 'the check was missing' })).ok).toBe(true);
    expect(slack.history('rotating-certs')).toEqual(['v1 import import', 'v2 patch agent']);
    expect((await telegram.tool('skill_view', { name: 'rotating-certs' })).content).toContain('3. Check the expiry date.');
    expect(telegram.history('rotating-certs')).toEqual(['v1 create agent', 'v2 edit agent']);
    expect(telegram.cairn.skills.versions.latest('rotating-certs')?.reason).toMatch(new RegExp(`changed on disk by the Cairn on ${slack.dataDir} \\(its version 2, a patch by its agent\\): the check was missing`));
  });

  it("the Telegram bot's idle audit leaves alone a skill only the Slack bot uses", async () => {
    for (let day = 1; day <= 35; day++) {
      both(DAY1 + day * DAY);
      expect((await slack.tool('skill_view', { name: 'rotating-certs' }, `day-${day}`)).ok).toBe(true);
    }
    // The Slack bot's uses reached the folder as it used the skill (at most an hour late; with each of its audits too).
    const audit = await telegram.cairn.learning.audits.run('test');
    expect(audit?.status).toBe('done');
    expect(telegram.history('rotating-certs').at(-1)).toBe('v2 edit agent');
    expect(slack.cairn.skills.find('rotating-certs')).toBeDefined();
    expect(readFileSync(join(shared, 'rotating-certs', 'SKILL.md'), 'utf8')).toContain('3. Check the expiry date.');
  });

  it("a person's edit by hand is one person's version in each database", async () => {
    const file = join(shared, 'rotating-certs', 'SKILL.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('1. Renew.', '1. Renew with certbot.'));
    for (const bot of [slack, telegram]) {
      await bot.tool('skill_view', { name: 'rotating-certs' });
      await bot.tool('skill_view', { name: 'rotating-certs' });
    }
    expect(slack.history('rotating-certs')).toEqual(['v1 import import', 'v2 patch agent', 'v3 edit person']);
    expect(telegram.history('rotating-certs')).toEqual(['v1 create agent', 'v2 edit agent', 'v3 edit person']);
  });

  it('a proposal approved in one after the other changed the skill is refused', async () => {
    const base = telegram.cairn.skills.find('rotating-certs');
    if (!base) throw new Error('rotating-certs is gone');
    const { proposalBase } = await import('../../src/learning/proposals.js');
    const proposal = telegram.cairn.learning.proposals.add(undefined, { action: 'patch', name: 'rotating-certs', find: '2. Reload nginx.', replace: '2. Reload nginx twice.', reason: 'once was not enough' }, telegram.clock.now(), proposalBase(telegram.cairn.skills, base, telegram.clock.now()));
    expect((await slack.tool('skill_patch', { name: 'rotating-certs', find: '2. Reload nginx.', replace: '2. Reload nginx (systemctl reload nginx).', reason: 'say how' })).ok).toBe(true);
    const decided = telegram.cairn.learning.proposals.apply(proposal.id, 'person', telegram.clock.now());
    expect(decided.status).toBe('failed');
    expect(decided.detail).toContain('changed since it was proposed');
    expect(readFileSync(join(shared, 'rotating-certs', 'SKILL.md'), 'utf8')).not.toContain('twice');
  });

  it('one archives a skill the other has in a running conversation: the other is told who archived it', async () => {
    const viewed = await slack.tool('skill_archive', { name: 'rotating-certs', reason: 'we moved to a managed load balancer' });
    expect(viewed.ok).toBe(true);
    const result = await telegram.tool('skill_view', { name: 'rotating-certs' }, 'running');
    expect(result.content).toContain('archived');
    expect(result.content).toContain(slack.dataDir);
    expect(result.content).toContain('we moved to a managed load balancer');
  });

  it('doctor says the folder is shared, with whom, and what that means', () => {
    const [check] = checkSharedSkills(telegram.cairn.config, telegram.clock.now());
    expect(check?.ok).toBe(true);
    expect(check?.detail).toContain(`is shared with another Cairn: the Cairn on ${slack.dataDir} (last seen`);
    expect(check?.detail).toContain('Each keeps its own history and version numbers');
    const alone = botOn(tempDir());
    expect(checkSharedSkills(alone.cairn.config, alone.clock.now())).toEqual([]);
  });
});

/** The self-improving loop against the scripted model server: outcomes, reflection, skills, rollback, audits. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { buildProgram } from '../../src/cli.js';
import { tempDir } from '../helpers/cairn.js';
import { skillText, writeSkillFolder } from '../skills/helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

const feedback = (text: string) => rig.cairn.gateway.receive(rig.cairn.adapter.message(`/feedback ${text}`, { command: { name: 'feedback', args: text } }));

describe('tasks and outcomes', () => {
  it('takes outcomes from tool errors, the model’s reflection and the user’s feedback, in that order of trust', async () => {
    rig = await learningRig();
    await rig.task('what time is it');
    await rig.task('call the broken service', [{ name: 'broken' }]);
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', failed: ['answered the wrong question'] });
    await rig.task('a complex job', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    const [complex, broken, simple] = rig.cairn.learning.tasks.recent(3);
    expect([simple?.outcome, simple?.outcomeSource]).toEqual(['success', 'tools']);
    // A failure is always reflected on; the reflector's verdict (agreeing here) then counts as the source.
    expect([broken?.outcome, broken?.outcomeSource]).toEqual(['failure', 'self']);
    expect(broken?.errors).toEqual(['broken: tool_error']);
    expect([complex?.outcome, complex?.outcomeSource]).toEqual(['failure', 'self']);
    expect(complex?.selfAssessment).toContain('answered the wrong question');
    await feedback('good it was fine actually');
    const judged = rig.cairn.learning.tasks.get(complex!.id);
    expect([judged?.outcome, judged?.outcomeSource, judged?.feedbackReason]).toEqual(['success', 'feedback', 'it was fine actually']);
    expect(complex?.trajectory.filter((m) => m.role === 'tool')).toHaveLength(3);
    expect(complex?.usage.promptTokens).toBeGreaterThan(0);
  });

  it('lists the tasks with `cairn tasks list`, newest first, as text and as JSON', async () => {
    rig = await learningRig();
    await rig.task('what time is it');
    await rig.task('twice the time', [{ name: 'current_time' }, { name: 'current_time' }]);
    const previous = process.env.CAIRN_DATA_DIR;
    process.env.CAIRN_DATA_DIR = rig.cairn.config.dataDir;
    try {
      const cli = async (...args: string[]) => {
        const lines: string[] = [];
        await buildProgram((line) => lines.push(line)).exitOverride().parseAsync(args, { from: 'user' });
        return lines;
      };
      const listed = await cli('tasks', 'list');
      expect(listed).toHaveLength(2);
      expect(listed[0]).toMatch(/^#2 {2}\S+ {2}success \(tools\) {2}2 tool calls {2}twice the time$/);
      expect(listed[1]).toMatch(/^#1 {2}\S+ {2}success \(tools\) {2}1 tool call {2}what time is it$/);
      const [json] = await cli('tasks', 'list', '--json', '--limit', '1');
      expect(JSON.parse(json!)).toEqual([expect.objectContaining({ id: 2, outcome: 'success', toolCalls: 2 })]);
    } finally {
      if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
      else process.env.CAIRN_DATA_DIR = previous;
    }
  });

  it('makes a plain turn a task when the user gives feedback on it', async () => {
    rig = await learningRig();
    await rig.task('just chat', []);
    expect(rig.cairn.learning.tasks.count()).toBe(0);
    await feedback('bad wrong answer');
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect([task?.request, task?.outcome, task?.feedback]).toEqual(['just chat', 'failure', 'bad']);
    expect(rig.cairn.adapter.texts().at(-1)).toContain('Thanks for telling me');
  });

  it('takes feedback on an older answer (a reaction on it) for the turn that answered that message', async () => {
    rig = await learningRig();
    const { tasks } = rig.cairn.learning;
    await rig.task('deploy it');
    await rig.task('just chat', []);
    await rig.task('check the logs');
    const reactTo = (messageId: string, verdict: string) =>
      rig.cairn.gateway.receive(rig.cairn.adapter.message(`/feedback ${verdict}`, { command: { name: 'feedback', args: verdict }, feedbackOn: messageId }));
    await reactTo('task-1', 'bad');
    await reactTo('task-2', 'good');
    const verdicts = () => Object.fromEntries(tasks.recent(10).map((task) => [task.request, task.feedback]));
    expect(verdicts()).toEqual({ 'deploy it': 'bad', 'just chat': 'good', 'check the logs': undefined });
    expect(tasks.recent(10).map((task) => task.messageId)).toEqual(['task-2', 'task-3', 'task-1']);

    await reactTo('task-99', 'bad');
    expect(rig.cairn.adapter.texts().at(-1)).toContain('I no longer know what that message answered');
    expect(verdicts()).toEqual({ 'deploy it': 'bad', 'just chat': 'good', 'check the logs': undefined });
  });

  it('takes typed /feedback for the latest turn, a plain one or a task', async () => {
    rig = await learningRig();
    const { tasks } = rig.cairn.learning;
    await rig.task('just chat', []);
    await rig.task('deploy it');
    await feedback('bad');
    expect(tasks.recent(10).map((task) => [task.request, task.feedback])).toEqual([['deploy it', 'bad']]);
    await rig.task('thanks', []);
    await feedback('good');
    await feedback('bad changed my mind');
    expect(tasks.recent(10).map((task) => [task.request, task.feedback])).toEqual([
      ['thanks', 'bad'],
      ['deploy it', 'bad'],
    ]);
  });

  it('explains /feedback usage when the verdict is missing', async () => {
    rig = await learningRig();
    await feedback('meh');
    expect(rig.cairn.adapter.texts().at(-1)).toContain('Usage: /feedback good|bad');
  });
});

describe('reflection and skills', () => {
  it('starts no second reflection for feedback that comes while the task is being reflected on', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    const { model, cairn } = rig;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reflections = 0;
    const change = { action: 'create', name: 'retrying-services', description: 'Retries a flaky service. Use when a service call fails.', body: '## Steps\n1. Retry once.\n', reason: 'the service failed' };
    model.setDefault((request) => {
      if ((request.body as { messages: { content: string }[] }).messages[0]?.content.startsWith('You review a task')) {
        reflections++;
        return { after: held, then: { text: JSON.stringify({ ...NO_CHANGE, outcome: 'failure', failed: ['the service was down'], skill: change }) } };
      }
      return { text: 'ok' };
    });
    model.enqueue({ toolCalls: [{ name: 'broken', arguments: {} }] }, { text: 'Sorry, the service is down.' });
    await cairn.gateway.receive(cairn.adapter.message('call the service'));
    while (reflections === 0) await new Promise((resolve) => setImmediate(resolve));
    await feedback('bad still broken');
    release();
    await cairn.learning.idle();
    expect(reflections).toBe(1);
    expect(cairn.learning.proposals.pending().map((proposal) => proposal.change.name)).toEqual(['retrying-services']);
  });

  it('reflects on 👎 feedback when the reflection after the task could not reach the model', async () => {
    rig = await learningRig();
    const { model, cairn } = rig;
    let reflections = 0;
    model.setDefault((request) => {
      if (!(request.body as { messages: { content: string }[] }).messages[0]?.content.startsWith('You review a task')) return { text: 'ok' };
      // The first reflection finds the aux model refusing (a wrong key, since fixed).
      return reflections++ === 0 ? { error: { status: 401 } } : { text: JSON.stringify({ ...NO_CHANGE, outcome: 'failure', failed: ['the service was down'] }) };
    });
    model.enqueue({ toolCalls: [{ name: 'broken', arguments: {} }] }, { text: 'Sorry, the service is down.' });
    await cairn.gateway.receive(cairn.adapter.message('call the service'));
    await cairn.learning.idle();
    expect(reflections).toBe(1);
    await feedback('bad still broken');
    await cairn.learning.idle();
    expect(reflections).toBe(2);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM reflections').pluck().get()).toBe(1);
  });

  it('reflects after complex or failed tasks only', async () => {
    rig = await learningRig();
    await rig.task('simple one');
    await rig.task('two tools', [{ name: 'current_time' }, { name: 'current_time' }]);
    expect(rig.reflectionRequests()).toBe(0);
    await rig.task('three tools', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    await rig.task('fails', [{ name: 'broken' }]);
    expect(rig.reflectionRequests()).toBe(2);
    expect(rig.cairn.db.prepare('SELECT COUNT(*) FROM reflections').pluck().get()).toBe(2);
  });

  it('creates a valid, versioned skill from a reflection', async () => {
    rig = await learningRig();
    rig.reflections.push({
      ...NO_CHANGE,
      skill: { action: 'create', name: 'checking-the-clock', description: 'How to report the current time in the user’s zone. Use when someone asks for the time.', body: '## When to use\nAsked for the time.\n\n## Steps\n1. Call current_time with the user’s zone.\n', reason: 'learned from task' },
    });
    await rig.task('time in Tokyo, and twice more', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    const skill = rig.cairn.skills.find('checking-the-clock');
    expect(skill?.source.kind).toBe('learned');
    expect(readFileSync(skill!.file, 'utf8')).toContain('name: checking-the-clock');
    expect(rig.cairn.skills.versions.history('checking-the-clock')).toEqual([expect.objectContaining({ version: 1, author: 'agent', action: 'create' })]);
  });

  it('only proposes in propose mode, and a person approves', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    rig.reflections.push({ ...NO_CHANGE, skill: { action: 'create', name: 'proposed-skill', description: 'A proposed skill for tests.', body: '## Steps\n1. Do it.\n', reason: 'why not' } });
    await rig.task('complex', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    expect(rig.cairn.skills.find('proposed-skill')).toBeUndefined();
    const [proposal] = rig.cairn.learning.proposals.pending();
    expect(rig.cairn.learning.proposals.apply(proposal!.id, 'person', Date.now()).status).toBe('applied');
    expect(rig.cairn.skills.versions.latest('proposed-skill')?.author).toBe('person');
  });

  it('puts a proposal before the admins in the admin channel, where a press of Apply applies it', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_ADMIN_CHANNEL: 'telegram:-100', TELEGRAM_ADMIN_USERS: '1', TELEGRAM_ALLOWED_USERS: '2' });
    const telegram = new RecordingAdapter('telegram');
    rig.cairn.gateway.attach(telegram);
    rig.reflections.push({ ...NO_CHANGE, skill: { action: 'create', name: 'reading-the-clock', description: 'How to tell the time. Use when asked the time.', body: '## Steps\n1. Call current_time.\n', reason: 'asked twice\nthis week' } });
    await rig.task('complex', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    await rig.cairn.learning.idle();
    const [proposal] = rig.cairn.learning.proposals.pending();
    const [posted] = telegram.sent;
    expect(posted?.conversationId).toBe('telegram:-100');
    expect(posted?.reply.text).toContain(`Proposal #${proposal?.id} after task`);
    expect(posted?.reply.text).toContain('a new skill "reading-the-clock": How to tell the time. Use when asked the time.\nWhy: asked twice\nthis week\n\n```\n## Steps\n1. Call current_time.\n\n```');
    expect(posted?.reply.buttons).toEqual([
      { label: 'Apply', command: `/proposals apply ${proposal?.id}` },
      { label: 'Reject', command: `/proposals reject ${proposal?.id}` },
    ]);

    const admin = (text: string, senderId = '1') => {
      const [name = '', ...args] = text.slice(1).split(' ');
      return rig.cairn.gateway.receive(telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: 'telegram:-100', isDirect: false, addressed: true, command: { name, args: args.join(' ') } }));
    };
    await admin('/proposals');
    // One line per proposal: a reason written over several lines is folded onto its line.
    expect(telegram.texts().at(-1)).toBe(`Skill changes waiting for review (1):\n#${proposal?.id} new skill reading-the-clock (today): asked twice this week\n\nSend /proposals show <id> to read one, then apply or reject it.`);
    await admin(`/proposals apply ${proposal?.id}`, '2');
    expect(telegram.texts().at(-1)).toMatch(/^\/proposals is only for admins/);
    expect(rig.cairn.skills.find('reading-the-clock')).toBeUndefined();
    await admin(`/proposals apply ${proposal?.id}`);
    expect(telegram.texts().at(-1)).toBe(`Applied proposal #${proposal?.id}: reading-the-clock v1.`);
    expect(rig.cairn.skills.versions.latest('reading-the-clock')?.author).toBe('person');
    // The posted proposal says so, its buttons gone.
    await rig.cairn.learning.idle();
    expect(telegram.edited).toEqual([{ conversationId: 'telegram:-100', sent: '0', text: `${posted?.reply.text}\n✅ Applied by alice.` }]);
    await admin(`/proposals reject ${proposal?.id}`);
    expect(telegram.texts().at(-1)).toBe(`Proposal ${proposal?.id} is already applied.`);
  });

  it('patches a skill that failed, then rolls back a patch that does worse', async () => {
    rig = await learningRig({ CAIRN_AUDIT_EVERY: '0' });
    const skills = rig.cairn.skills;
    skills.writer.create({ name: 'deploying-the-app', description: 'How to deploy the app. Use for deploys.', body: '## Steps\n1. Run the deploy script.\n' }, { author: 'person' });
    const useSkill = [{ name: 'skill_view', arguments: { name: 'deploying-the-app' } }];
    // Version 1 does well: 5 tasks the users call good.
    for (let i = 0; i < 5; i++) {
      await rig.task(`deploy ${i}`, useSkill);
      await feedback('good');
    }
    // A failure with the skill sends it to reflection, which patches it (version 2).
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: 'deploying-the-app', find: 'Run the deploy script.', replace: 'Run the deploy script with --force.', reason: 'it failed' } });
    await rig.task('deploy that fails', [...useSkill, { name: 'broken' }]);
    expect(skills.versions.latest('deploying-the-app')).toMatchObject({ version: 2, action: 'patch', author: 'agent' });
    // Version 2 does worse over its first 5 judged uses: rolled back to version 1's text.
    for (let i = 0; i < 5; i++) {
      await rig.task(`deploy again ${i}`, useSkill);
      await feedback('bad');
    }
    const latest = skills.versions.latest('deploying-the-app');
    expect(latest).toMatchObject({ version: 3, action: 'rollback' });
    expect(latest?.text).toBe(skills.versions.get('deploying-the-app', 1)?.text);
    expect(readFileSync(skills.find('deploying-the-app')!.file, 'utf8')).not.toContain('--force');
    expect(rig.cairn.learning.refiner?.recent()).toEqual([expect.objectContaining({ skill: 'deploying-the-app', fromVersion: 2, toVersion: 1 })]);
  });
});

describe('audits', () => {
  it('run after tasks 15 and 30 and from cron, with correct numbers', async () => {
    rig = await learningRig();
    for (let i = 0; i < 30; i++) await rig.task(`task ${i}`, i % 3 === 0 ? [{ name: 'broken' }] : [{ name: 'current_time' }]);
    await rig.cairn.learning.idle();
    const audits = rig.cairn.learning.audits.list();
    expect(audits.map((a) => [a.taskCount, a.status])).toEqual([
      [30, 'done'],
      [15, 'done'],
    ]);
    expect(audits[0]?.stats?.overall).toMatchObject({ tasks: 30, success: 20, failure: 10 });
    expect(audits[1]?.stats?.overall).toMatchObject({ tasks: 15, success: 10, failure: 5 });
    expect(audits[0]?.stats?.sinceLastAudit.tasks).toBe(15);
    expect(audits[0]?.stats?.failureModes[0]).toMatchObject({ mode: expect.stringContaining('broken'), count: 10 });
    const report = readFileSync(audits[0]!.reportPath!, 'utf8');
    expect(report).toContain('Overall: 67%');
    // Tokens: all 30 tasks' (failures' too) over the 20 successes is what one success cost.
    const total = rig.cairn.learning.tasks.recent(100).reduce((sum, task) => sum + task.usage.promptTokens + task.usage.completionTokens, 0);
    expect(audits[0]?.stats?.tokens?.overall).toMatchObject({ tasks: 30, total, perTask: Math.round(total / 30), perSuccess: Math.round(total / 20) });
    expect(audits[0]?.stats?.tokens?.sinceLastAudit.tasks).toBe(15);
    expect(report).toContain(`| tokens per success (failures' included) | ${audits[0]?.stats?.tokens?.sinceLastAudit.perSuccess?.toLocaleString('en-US')} | ${Math.round(total / 20).toLocaleString('en-US')} |`);
    expect(readFileSync(audits[0]!.reportPath!.replace(/\.md$/, '.svg'), 'utf8')).toMatch(/^<svg/);
    await rig.cairn.learning.start();
    rig.fireCron();
    await rig.cairn.learning.idle();
    expect(rig.cairn.learning.audits.list()[0]?.trigger).toBe('cron');
  });

  it('marks unused skills stale, archives them later, spares pinned ones and those people provide, and posts the report to the admin channel', async () => {
    const teamSkills = tempDir('cairn-team-skills-');
    writeSkillFolder(teamSkills, 'team-runbook', skillText('team-runbook'));
    rig = await learningRig({ CAIRN_ADMIN_CHANNEL: 'test:admins', CAIRN_SKILLS_DIRS: teamSkills });
    const { skills, manualClock, learning, adapter } = rig.cairn;
    skills.writer.create({ name: 'old-habit', description: 'Something nobody uses any more.', body: '## Steps\n1. Do the old thing.\n' }, { author: 'person' });
    skills.writer.create({ name: 'keep-me', description: 'Pinned on purpose.', body: '## Steps\n1. Keep.\n', metadata: { 'cairn-pinned': 'true' } }, { author: 'person' });
    // The team's skill was used once, long ago.
    await rig.task('follow the runbook', [{ name: 'skill_view', arguments: { name: 'team-runbook' } }]);
    expect(skills.uses.lastUsedAt('team-runbook')).toBeDefined();
    manualClock.advance(15 * 86_400_000);
    await learning.audits.run('test');
    expect(learning.audits.list()[0]?.report).toContain('Marked `old-habit` stale');
    manualClock.advance(16 * 86_400_000);
    await learning.audits.run('test');
    expect(learning.audits.list()[0]?.report).toContain('Archived `old-habit`');
    expect(skills.find('old-habit')).toBeUndefined();
    expect(skills.find('keep-me')).toBeDefined();
    expect(skills.find('team-runbook')?.source.kind).toBe('extra');
    expect(learning.audits.list().map((audit) => audit.report).join('\n')).not.toContain('team-runbook` stale');
    const posted = adapter.sent.filter((s) => s.conversationId === 'test:admins');
    expect(posted).toHaveLength(2);
    expect(posted[1]?.reply.text).toContain('# Cairn audit #2');
    // A relative image link shows nothing in chat: the post says where the chart lies instead.
    const reportPath = learning.audits.list()[0]!.reportPath!;
    expect(posted[1]?.reply.text).not.toContain('](audit-');
    expect(posted[1]?.reply.text).toContain(`\`${reportPath.replace(/\.md$/, '.svg')}\` on Cairn's host`);
    expect(readFileSync(reportPath, 'utf8')).toContain(`![Success rate over time](${basename(reportPath, '.md')}.svg)`);
  });

  it('never runs two audits at once', async () => {
    rig = await learningRig();
    await rig.task('one');
    const [a, b] = await Promise.all([rig.cairn.learning.audits.run('first'), rig.cairn.learning.audits.run('second')]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('runs an audit missed while Cairn was down at start-up', async () => {
    rig = await learningRig();
    await rig.task('one');
    await rig.cairn.learning.audits.run('earlier');
    await rig.cairn.learning.start();
    expect(rig.cairn.learning.audits.list()).toHaveLength(1);
    rig.cairn.manualClock.advance(2 * 86_400_000);
    await rig.cairn.learning.start();
    // It runs in the background (start-up does not wait for it); idle() does.
    await rig.cairn.learning.idle();
    expect(rig.cairn.learning.audits.list()[0]).toMatchObject({ trigger: 'missed at start-up', status: 'done' });
  });

  it('skips reflection when the daily budget is spent, without breaking the turn', async () => {
    rig = await learningRig({ CAIRN_LEARNING_DAILY_TOKENS: '1' });
    rig.cairn.ledger.record({ provider: 'custom', model: 'm', purpose: 'reflection', usage: { promptTokens: 5, completionTokens: 5, cachedTokens: 0 }, costUsd: undefined, durationMs: 1, ok: true, errorCode: undefined, sessionId: undefined, attempt: 1 });
    await rig.task('complex', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    expect(rig.reflectionRequests()).toBe(0);
    expect(rig.cairn.adapter.texts().at(-1)).toBe('answer to complex');
  });
});

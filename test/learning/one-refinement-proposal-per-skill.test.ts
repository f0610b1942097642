/** In propose mode, audits send a poor skill to refinement: one proposal waits for the admins, not one more per audit. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('audits with CAIRN_REFLECTION=propose and a skill that keeps failing', () => {
  it('leave one refinement proposal waiting for the skill, not a duplicate from every audit while the admins have not decided', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: 'test:admins' });
    const { skills, learning } = rig.cairn;
    skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n' }, { author: 'person' });
    for (let i = 0; i < 3; i++) await rig.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
    const fix = { ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: 'restarting-nginx', find: 'Run systemctl restart nginx.', replace: 'Run sudo systemctl restart nginx.', reason: 'permission denied without sudo' } };

    // The nightly audit proposes the fix; the admins have not looked yet when the next audits run.
    rig.reflections.push(fix, fix, fix);
    const reflectionsBefore = rig.reflectionRequests();
    await learning.audits.run('cron');
    await learning.audits.run('cron');
    const third = await learning.audits.run('every 15 tasks (15)');
    await learning.idle();

    const waiting = learning.proposals.pending().filter((p) => p.change.name === 'restarting-nginx');
    expect(waiting).toHaveLength(1);
    // The report says why the failing skill was left as it is.
    expect(third?.report).toContain(`- Not refined \`restarting-nginx\` (poor outcomes): proposal #${waiting[0]!.id} for it waits for review (/proposals show ${waiting[0]!.id}).`);
    expect(rig.cairn.adapter.sent.filter((s) => s.conversationId === 'test:admins' && s.reply.text.startsWith('Cairn proposes'))).toHaveLength(1);
    // The later audits did not ask the model at all.
    expect(rig.reflectionRequests() - reflectionsBefore).toBe(1);

    // Once the admins decide, the next audit may propose again: a different change (the rejected one, word for word, is dropped).
    learning.proposals.reject(waiting[0]!.id, rig.cairn.manualClock.now());
    rig.reflections.splice(0, rig.reflections.length, { ...fix, skill: { ...fix.skill, replace: 'Run systemctl restart nginx as the nginx user.' } });
    await learning.audits.run('cron');
    await learning.idle();
    expect(learning.proposals.pending().filter((p) => p.change.name === 'restarting-nginx')).toHaveLength(1);
  });
});

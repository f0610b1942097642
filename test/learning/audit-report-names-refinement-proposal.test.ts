/** In propose mode the audit that sends a poor skill to refinement says, in its report, what came of it. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('an audit whose refinement leaves a proposal for the admins', () => {
  it('names the proposal in its report instead of "None needed."', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { skills, learning } = rig.cairn;
    skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n' }, { author: 'person' });
    for (let i = 0; i < 3; i++) await rig.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: 'restarting-nginx', find: 'Run systemctl restart nginx.', replace: 'Run sudo systemctl restart nginx.', reason: 'permission denied without sudo' } });
    const record = await learning.audits.run('cron');
    await learning.idle();
    const [proposal] = learning.proposals.pending();
    expect(proposal?.change.name).toBe('restarting-nginx');
    expect(record?.report).not.toContain('None needed.');
    expect(record?.report).toContain(`- Proposed a change to \`restarting-nginx\` (poor outcomes): proposal #${proposal!.id} waits for review (/proposals show ${proposal!.id}).`);
  });
});

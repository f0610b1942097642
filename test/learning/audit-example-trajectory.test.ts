/**
 * An audit reads every task without its trajectory (they add up to hundreds of megabytes on an
 * old bot); the failed task it sends to refinement is read whole, so reflection still sees what happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('refinement from an audit', () => {
  it("shows reflection the failed task's trajectory", async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { skills, learning } = rig.cairn;
    skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n' }, { author: 'person' });
    for (let i = 0; i < 3; i++) await rig.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
    await learning.idle();
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure' });
    const before = rig.model.chatRequests().length;
    await learning.audits.run('cron');
    await learning.idle();
    const asked = rig.model
      .chatRequests()
      .slice(before)
      .map((body) => (body.messages as { content: string }[])[1]?.content ?? '')
      .find((content) => content.includes('often fails'));
    const trajectory = asked?.split('Trajectory:')[1] ?? '';
    expect(trajectory).toContain('skill_view');
    expect(trajectory).toContain('broken');
  });
});

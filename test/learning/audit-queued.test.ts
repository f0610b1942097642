/** An audit the schedule calls for while another runs is run after it, not dropped. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('the audit schedule', () => {
  it('runs a cron audit that came while another audit ran once that one is done', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { skills, learning } = rig.cairn;
    skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n' }, { author: 'person' });
    for (let i = 0; i < 3; i++) await rig.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
    await learning.start();
    await learning.idle();
    // The first audit's refinement waits on the model while the next cron time comes.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let refinements = 0;
    rig.model.setDefault((request) => {
      const messages = (request.body as { messages: { content: string }[] }).messages;
      if (!messages[1]?.content.includes('often fails')) return { text: 'done' };
      refinements++;
      return { after: held, then: { text: JSON.stringify({ ...NO_CHANGE, outcome: 'failure' }) } };
    });
    rig.fireCron();
    while (refinements === 0) await new Promise((resolve) => setImmediate(resolve));
    rig.fireCron();
    release();
    await learning.idle();
    expect(learning.audits.list().map((audit) => [audit.trigger, audit.status])).toEqual([
      ['cron', 'done'],
      ['cron', 'done'],
    ]);
  });
});

/** In propose mode, a new skill already proposed and waiting for the admins is not proposed (and posted) again by the next task's reflection. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const create = { ...NO_CHANGE, skill: { action: 'create', name: 'checking-disk-space', description: 'How to check free disk space on a server. Use when a disk may be full.', body: '## Steps\n1. Run df -h.\n', reason: 'asked often' } };
const three = [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }];

describe('the same new skill proposed by reflections on two tasks', () => {
  it('waits for the admins once, posted once', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: 'test:admins' });
    rig.reflections.push(create, create);
    await rig.task('how full is the disk on web1', three);
    await rig.task('how full is the disk on web2', three);
    const pending = rig.cairn.learning.proposals.pending();
    expect(pending).toHaveLength(1);
    expect(rig.cairn.adapter.sent.filter((s) => s.conversationId === 'test:admins' && s.reply.text.startsWith('Cairn proposes'))).toHaveLength(1);
    // The second task's verdict is kept all the same.
    expect(rig.cairn.learning.tasks.recent(1)[0]?.outcomeSource).toBe('self');
  });

  it('proposes the same patch once, and a different patch to the same skill all the same', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: 'test:admins' });
    rig.cairn.skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n2. Check the site.\n' }, { author: 'person' });
    const patch = (find: string, replace: string) => ({ ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: 'restarting-nginx', find, replace, reason: 'it failed' } });
    const sudo = patch('Run systemctl restart nginx.', 'Run sudo systemctl restart nginx.');
    rig.reflections.push(sudo, sudo, patch('Check the site.', 'Check the site with curl -I.'));
    for (let i = 0; i < 3; i++) await rig.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
    const pending = rig.cairn.learning.proposals.pending();
    expect(pending.map((p) => p.change.action === 'patch' && p.change.replace)).toEqual(['Run sudo systemctl restart nginx.', 'Check the site with curl -I.']);
    expect(rig.cairn.adapter.sent.filter((s) => s.conversationId === 'test:admins' && s.reply.text.startsWith('Cairn proposes'))).toHaveLength(2);
  });
});

/**
 * The learning loop after a person's `/forget`: the words of the tasks they asked before it are gone
 * (memory/forget.ts), past audit reports no longer quote them, and nothing brings them back: a reflection the model was writing when they
 * forgot is dropped, an audit does not send one of those tasks to reflection as the example of a
 * failing skill, and does not quote it.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';
import type { ChatBody } from '../fakes/model-server.js';
import { until } from '../helpers/linking-world.js';

const SECRET = 'passport C4812';
let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const forgetAll = async (r: LearningRig) =>
  r.cairn.gateway.receive(r.cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' }, messageId: 'forget' }));

describe('tasks asked before /forget', () => {
  it('an audit neither quotes them nor shows one to reflection as a failing skill’s example', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { skills, learning } = rig.cairn;
    skills.writer.create({ name: 'renewing-papers', description: 'How to renew papers. Use when asked to renew one.', body: '## Steps\n1. Fill the form.\n' }, { author: 'person' });
    for (let i = 0; i < 3; i++) await rig.task(`renew my ${SECRET} (${i})`, [{ name: 'skill_view', arguments: { name: 'renewing-papers' } }, { name: 'broken' }]);
    // An audit before the forget quotes one of them, in the database and in its file.
    const earlier = await learning.audits.run('cron');
    await learning.idle();
    const file = () => readFileSync(earlier?.reportPath ?? '', 'utf8');
    expect(file()).toContain(`(e.g. "renew my ${SECRET}`);
    await forgetAll(rig);
    expect(file()).not.toContain('C4812');
    expect(file()).toContain('- **broken: tool_error** × 3\n');
    expect(JSON.stringify(learning.audits.get(earlier?.id ?? 0))).not.toContain('C4812');
    const before = rig.model.chatRequests().length;
    const audit = await learning.audits.run('cron');
    await learning.idle();
    expect(JSON.stringify(rig.model.chatRequests().slice(before))).not.toContain('C4812');
    expect(audit?.report).not.toContain('C4812');
    expect(audit?.report).toContain('- **broken: tool_error** × 3\n');
    expect(audit?.report).toContain('the words of its failed tasks were deleted with /forget');
  });

  it('a reflection under way when its person forgets is not kept', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { learning, db } = rig.cairn;
    const model = rig.model;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const retold = { outcome: 'failure', efficient: false, worked: [], failed: [`could not renew ${SECRET}`], assumptions: [], doDifferently: [], skill: { action: 'create', name: 'renewing-passports', description: `How to renew ${SECRET}. Use when asked.`, body: `Renew ${SECRET}.\n`, reason: `the user's ${SECRET}` } };
    const answer = model.setDefault.bind(model);
    answer((request) => {
      const messages = (request.body as ChatBody).messages as { content: string }[];
      if (messages[0]?.content.startsWith('You review a task')) return { after: gate, then: { text: JSON.stringify(retold) } };
      return { text: 'done' };
    });
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Done.' });
    await rig.cairn.gateway.receive(rig.cairn.adapter.message(`renew my ${SECRET}`, { messageId: 'ask' }));
    await until(() => JSON.stringify(model.chatRequests().at(-1)).includes('You review a task'));
    await forgetAll(rig);
    release();
    await learning.idle();
    const kept = JSON.stringify([db.prepare('SELECT * FROM tasks').all(), db.prepare('SELECT * FROM reflections').all(), db.prepare('SELECT * FROM skill_proposals').all()]);
    expect(kept).not.toContain('C4812');
  });
});

/** An audit that finds a poor skill but cannot refine it says so in its report, not "None needed.". */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function failingSkill(r: LearningRig): Promise<void> {
  r.cairn.skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n' }, { author: 'person' });
  for (let i = 0; i < 3; i++) await r.task(`the site is down ${i}`, [{ name: 'skill_view', arguments: { name: 'restarting-nginx' } }, { name: 'broken' }]);
}

describe('an audit that finds a poor skill it cannot refine', () => {
  it('says the daily learning budget is spent', async () => {
    rig = await learningRig({ CAIRN_AUDIT_EVERY: '0', CAIRN_LEARNING_DAILY_TOKENS: '100000' });
    await failingSkill(rig);
    rig.cairn.ledger.record({ provider: 'custom', model: 'm', purpose: 'reflection', usage: { promptTokens: 100_000, completionTokens: 0, cachedTokens: 0 }, costUsd: undefined, durationMs: 1, ok: true, errorCode: undefined, sessionId: undefined, attempt: 1 });
    const record = await rig.cairn.learning.audits.run('cron');
    expect(record?.report).not.toContain('None needed.');
    expect(record?.report).toContain('restarting-nginx');
    expect(record?.report).toContain('- Not refined `restarting-nginx` (poor outcomes): the daily learning budget (CAIRN_LEARNING_DAILY_TOKENS) is spent.');
  });

  it('says the model proposed no change', async () => {
    rig = await learningRig({ CAIRN_AUDIT_EVERY: '0' });
    await failingSkill(rig);
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure' });
    const record = await rig.cairn.learning.audits.run('cron');
    expect(record?.report).not.toContain('None needed.');
    expect(record?.report).toContain('- Not refined `restarting-nginx` (poor outcomes): reflection proposed no change to it.');
  });

  it('says the model could not be reached', async () => {
    rig = await learningRig({ CAIRN_AUDIT_EVERY: '0' });
    await failingSkill(rig);
    rig.model.setDefault(() => ({ error: { status: 400 } }));
    const record = await rig.cairn.learning.audits.run('cron');
    expect(record?.report).not.toContain('None needed.');
    expect(record?.report).toContain('- Not refined `restarting-nginx` (poor outcomes): the model could not be reached (see the log).');
  });
});

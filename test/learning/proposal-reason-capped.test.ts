/** A proposal's reason, as long as the model wrote it, does not turn the admin post into a message of many parts. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';
import { describeProposal } from '../../src/learning/proposal-commands.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const three = [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }];

describe('a proposal with a very long reason', () => {
  it('is posted to the admins with the reason cut at a whole character, saying it was cut', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: 'test:admins' });
    const reason = `${'because '.repeat(2_499)}🔥 and more`;
    rig.reflections.push({ ...NO_CHANGE, skill: { action: 'create', name: 'checking-disk-space', description: 'How to check free disk space. Use when a disk may be full.', body: '## Steps\n1. Run df -h.\n', reason } });
    await rig.task('how full is the disk on web1', three);
    const [post] = rig.cairn.adapter.sent.filter((s) => s.conversationId === 'test:admins');
    expect(post).toBeDefined();
    expect(post!.reply.text.length).toBeLessThan(1_500);
    expect(post!.reply.text).not.toMatch(/\p{Cs}/u);
    expect(post!.reply.text).toContain(`(cut: the reason was ${[...reason].length.toLocaleString('en-US')} characters)`);
    // /proposals lists and shows the same reason.
    expect(rig.cairn.learning.proposals.pending()[0]?.change.reason.length).toBeLessThan(1_000);
  });
});

describe('a proposal stored before reasons were capped', () => {
  it('is shown with its reason cut', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0' });
    const { proposals } = rig.cairn.learning;
    const stored = proposals.add(undefined, { action: 'create', name: 'long-winded', description: 'A skill. Use when needed.', body: '## Steps\n1. Go.\n', reason: 'x'.repeat(30_000) }, 0);
    const shown = describeProposal(stored);
    expect(shown.length).toBeLessThan(1_000);
    expect(shown).toContain('(cut: the reason was 30,000 characters)');
  });
});

/**
 * Text the learning loop cuts for people — a failure mode's example in the audit report, a proposed skill
 * posted to the admins, a reflection's summary — is cut with headOf: String.slice can split an emoji, and
 * half of one is invalid text (U+FFFD in the report file; a platform API can refuse the whole post).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/learning/audit-stats.js';
import { describeProposal } from '../../src/learning/proposal-commands.js';
import type { Task } from '../../src/learning/tasks.js';
import { learningRig, NO_CHANGE, newTask, type LearningRig } from './helpers.js';

// With the u flag a whole emoji is one code point; only half of one is a lone surrogate (Cs).
const wellFormed = (text: string) => expect(text).not.toMatch(/\p{Cs}/u);

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('cuts in audit reports, proposals and reflections keep emoji whole', () => {
  it('a failure mode example cut at 120 characters', () => {
    const request = `${'a'.repeat(119)}🔥 the deploy is on fire`;
    const task: Task = { ...newTask({ request, outcome: 'failure', errors: ['terminal: exit 1'] }), id: 1, selfAssessment: undefined, feedback: undefined, feedbackReason: undefined, reflected: false };
    const [mode] = computeStats([task], undefined, (t) => t.request).failureModes;
    wellFormed(mode!.example);
  });

  it('a proposed skill body cut at 1,500 characters for the admin channel', () => {
    const body = `${'b'.repeat(1_499)}🚀 and then deploy`;
    const text = describeProposal({ id: 1, taskId: 1, change: { action: 'create', name: 'deploying', description: 'Deploys. Use when deploying.', body, reason: 'it worked' }, status: 'pending', detail: undefined, createdAt: 0, base: undefined });
    wellFormed(text);
  });

  it('a reflection summary cut at 1,000 characters', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    // "failure — failed: " is 18 characters: the emoji starts at the 1,000th.
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', failed: [`${'c'.repeat(981)}🧯 put out`] });
    await rig.task('deploy to eu-west', [{ name: 'broken' }]);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect(task?.selfAssessment).toHaveLength(999);
    wellFormed(task!.selfAssessment!);
  });
});

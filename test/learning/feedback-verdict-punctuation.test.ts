/** `/feedback` as people type it: a verdict with punctuation after it ("good!", "bad, the query was slow"). */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const feedback = (r: LearningRig, text: string) => r.cairn.gateway.receive(r.cairn.adapter.message(`/feedback ${text}`, { command: { name: 'feedback', args: text } }));

describe('/feedback with punctuation after the verdict', () => {
  it.each([
    ['good!', 'good', undefined],
    ['Good.', 'good', undefined],
    ['bad, the query was still slow', 'bad', 'the query was still slow'],
    ['bad: wrong region', 'bad', 'wrong region'],
    ['bad - wrong region', 'bad', '- wrong region'],
  ])('reads "%s" as %s', async (args, verdict, reason) => {
    rig = await learningRig();
    await rig.task('deploy it');
    await feedback(rig, args);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect([task?.feedback, task?.feedbackReason]).toEqual([verdict, reason]);
    expect(rig.cairn.adapter.texts().at(-1)).not.toContain('Usage');
  });

  it('still explains usage for a word that is no verdict', async () => {
    rig = await learningRig();
    await rig.task('deploy it');
    await feedback(rig, 'goodish');
    expect(rig.cairn.adapter.texts().at(-1)).toContain('Usage: /feedback good|bad');
  });
});

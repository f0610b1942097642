/** Models write null for "nothing here" as often as they leave a field out: that is no invalid answer. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

describe('a reflection with null for its skill change and its empty lists', () => {
  it('is read at once, as if they were left out (not asked for again, at twice the tokens)', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    const answer = { outcome: 'failure', efficient: false, worked: null, failed: ['answered from a stale cache'], assumptions: null, doDifferently: ['check the cache age'], skill: null };
    rig.reflections.push(answer, answer);
    await rig.task('what is the price now', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect(rig.reflectionRequests()).toBe(1);
    expect([task?.outcome, task?.outcomeSource]).toEqual(['failure', 'self']);
    expect(task?.selfAssessment).toContain('next time: check the cache age');
    expect(rig.cairn.learning.proposals.pending()).toEqual([]);
  });
});

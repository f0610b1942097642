/** A reaction that makes an older plain turn a task must not make it the person's "latest answer". */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

describe('typed /feedback after a 👍 on an older plain answer', () => {
  it('judges the latest answer, not the older turn the reaction made a task', async () => {
    rig = await learningRig();
    const { gateway, adapter, learning } = rig.cairn;
    await rig.task('just chat', []);
    await rig.task('check the logs');
    // A 👍 on the first, plain answer: it becomes a task now.
    await gateway.receive(adapter.message('/feedback good', { command: { name: 'feedback', args: 'good' }, feedbackOn: 'task-1' }));
    rig.cairn.manualClock.advance(1_000);
    // Then the person types /feedback about the answer they just got.
    await gateway.receive(adapter.message('/feedback bad', { command: { name: 'feedback', args: 'bad still broken' } }));
    await learning.idle();
    const byRequest = new Map(learning.tasks.recent(10).map((task) => [task.request, task]));
    expect(byRequest.get('check the logs')?.feedback).toBe('bad');
    expect(byRequest.get('just chat')?.feedback).toBe('good');
    // It is dated when its turn ran, not when the reaction came (audits bucket tasks by day).
    expect(byRequest.get('just chat')!.createdAt).toBeLessThan(byRequest.get('check the logs')!.createdAt);
  });
});

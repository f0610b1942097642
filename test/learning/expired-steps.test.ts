/**
 * A 👎 (or `/feedback bad`) months later, on an answer whose task's steps the history sweep deleted
 * (CAIRN_KEEP_HISTORY_DAYS): the verdict counts, but reflection is not asked to judge a task it cannot see
 * (it was sent the request with an empty trajectory, spending the learning budget to guess).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/clock.js';
import { HistoryRetention } from '../../src/store/history-retention.js';
import { learningRig, type LearningRig } from './helpers.js';

let rig: LearningRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('feedback on a task whose steps were deleted after CAIRN_KEEP_HISTORY_DAYS', () => {
  it('is recorded, and reflection is not asked about a task it cannot see', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'auto', CAIRN_REFLECT_AFTER_TOOL_CALLS: '5' });
    const { cairn } = rig;
    await rig.task('deploy the site');
    await cairn.learning.idle();
    const task = cairn.learning.tasks.lastInConversationBy(cairn.adapter.message('x').conversationId, cairn.adapter.message('x').userId);
    expect(task?.trajectory.length).toBeGreaterThan(0);
    cairn.manualClock.advance(40 * DAY_MS);
    await new HistoryRetention({ db: cairn.db, clock: cairn.manualClock, keepDays: 30, pause: () => Promise.resolve() }).sweep();
    const reflectionsBefore = rig.reflectionRequests();
    await cairn.gateway.receive(cairn.adapter.message('/feedback bad it broke the site', { command: { name: 'feedback', args: 'bad it broke the site' } }));
    await cairn.learning.idle();
    expect(cairn.learning.tasks.get(task?.id ?? 0)).toMatchObject({ feedback: 'bad', trajectory: [] });
    expect(rig.reflectionRequests()).toBe(reflectionsBefore);
  });
});

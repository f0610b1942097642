/**
 * Reflection asks for JSON mode, but the client drops it where the provider refuses it, and
 * many models then wrap the object in a sentence and a code fence: the reflection is read out
 * of the text, as notes extraction and the RL judge read theirs (every task went unreflected).
 * Small models also leave out what they have nothing to say about; that is read as empty.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

describe('reflection answers with text around the JSON', () => {
  it('reads the reflection out of "Here is my review: ```json {…} ```"', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    let asked = 0;
    const review = { ...NO_CHANGE, outcome: 'failure', failed: ['used the wrong region'], skill: { action: 'create', name: 'checking-the-region', description: 'Checks the region before deploying. Use before any deploy.', body: '## Steps\n1. Check the region.\n', reason: 'the deploy went to the wrong region' } };
    const chat = [{ toolCalls: [{ name: 'broken', arguments: {} }] }, { text: 'Deployed, I think.' }];
    rig.model.setDefault((request) => {
      const messages = (request.body as { messages: { content: string }[] }).messages;
      if (messages[0]?.content.startsWith('You review a task')) {
        asked++;
        return { text: `Here is my review of the task:\n\n\`\`\`json\n${JSON.stringify(review, null, 2)}\n\`\`\`\n` };
      }
      return chat.shift() ?? { text: 'ok' };
    });
    await rig.cairn.gateway.receive(rig.cairn.adapter.message('deploy to eu-west', { messageId: 'd1' }));
    await rig.cairn.learning.idle();
    expect(asked).toBeGreaterThan(0);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect(task?.outcomeSource).toBe('self');
    expect(task?.selfAssessment).toContain('used the wrong region');
    expect(rig.cairn.learning.proposals.pending().map((p) => p.change.name)).toEqual(['checking-the-region']);
  });
});

describe('a reflection that leaves out its empty lists and its skill change', () => {
  it('is still read: the self-assessed outcome is recorded', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    // No "assumptions", "doDifferently" or "skill": the prompt shows no empty list, and small models skip them.
    const answer = { outcome: 'failure', efficient: false, worked: [], failed: ['answered from a stale cache'] };
    rig.reflections.push(answer, answer);
    await rig.task('what is the price now', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect(task?.reflected).toBe(true);
    expect(task?.outcomeSource).toBe('self');
    expect(task?.outcome).toBe('failure');
    expect(task?.selfAssessment).toContain('answered from a stale cache');
    expect(rig.reflectionRequests()).toBe(1);
  });

  it('is asked for again when it leaves out its verdict', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    rig.reflections.push({ efficient: false, failed: ['answered from a stale cache'] }, { ...NO_CHANGE, outcome: 'failure' });
    await rig.task('what is the price now', [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }]);
    expect(rig.reflectionRequests()).toBe(2);
    expect(rig.cairn.learning.tasks.recent(1)[0]?.outcome).toBe('failure');
  });
});

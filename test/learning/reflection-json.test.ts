/**
 * Reflection asks for JSON mode, but the client drops it where the provider refuses it, and
 * many models then wrap the object in a sentence and a code fence: the reflection is read out
 * of the text, as notes extraction and the RL judge read theirs (every task went unreflected).
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

/**
 * A skill change from reflection is dry-run through the skills layer's own checks before it is
 * accepted: one the SKILL.md rules refuse would be a proposal no Apply can apply (propose mode) or a
 * failed write nobody sees (auto mode), so the model is told what was wrong and asked once more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

const valid = { action: 'create', name: 'checking-the-region', description: 'Checks the region before deploying. Use before any deploy.', body: '## Steps\n1. Check the region.\n', reason: 'the deploy went to the wrong region' };

/** The second reflection request, where the model is told what was wrong with its first answer. */
function retryPrompt(rig: LearningRig): string {
  const reflections = rig.model.requests.map((request) => (request.body as { messages: { content: string }[] }).messages).filter((messages) => messages[0]?.content.startsWith('You review a task'));
  return reflections[1]?.at(-1)?.content ?? '';
}

describe('a reflection proposing a skill change the SKILL.md rules refuse', () => {
  it('asks again, naming the rule, instead of queuing a new skill whose name has spaces and capitals', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { ...valid, name: 'Checking The Region' } }, { ...NO_CHANGE, outcome: 'failure', skill: valid });
    await rig.task('deploy to eu-west', [{ name: 'broken' }]);
    expect(retryPrompt(rig)).toMatch(/^That was not valid: skill\.name: use lowercase a-z/);
    const pending = rig.cairn.learning.proposals.pending();
    // Every proposal put before a person can be applied.
    expect(pending.map((p) => p.change.name)).toEqual(['checking-the-region']);
    expect(rig.cairn.learning.proposals.apply(pending[0]!.id, 'person', rig.cairn.manualClock.now())).toMatchObject({ status: 'applied' });
  });

  it('auto mode: creates the skill once the model has been told the name rule', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'auto' });
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { ...valid, name: 'checking_the_region' } }, { ...NO_CHANGE, outcome: 'failure', skill: valid });
    await rig.task('deploy to eu-west', [{ name: 'broken' }]);
    expect(rig.cairn.skills?.find('checking-the-region')).toBeDefined();
  });

  it('asks again when the new body is over the limit of 500 lines', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    const huge = ['## Steps', ...Array.from({ length: 700 }, (_, i) => `${i + 1}. Check region ${i + 1}.`)].join('\n');
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { ...valid, body: huge } }, { ...NO_CHANGE, outcome: 'failure', skill: valid });
    await rig.task('deploy to eu-west', [{ name: 'broken' }]);
    expect(retryPrompt(rig)).toContain('[body-lines]');
    const pending = rig.cairn.learning.proposals.pending();
    expect(pending).toHaveLength(1);
    expect(rig.cairn.learning.proposals.apply(pending[0]!.id, 'person', rig.cairn.manualClock.now())).toMatchObject({ status: 'applied' });
  });

  it('asks again when a patch\'s "find" is not in the skill it was shown', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    rig.cairn.skills!.writer.create({ name: 'deploying-the-app', description: 'How to deploy the app. Use for deploys.', body: '## Steps\n1. Run the deploy script.\n2. Tell the channel.\n' }, { author: 'person' });
    const patch = { action: 'patch', name: 'deploying-the-app', replace: 'Run the deploy script with --region.', reason: 'wrong region' };
    rig.reflections.push(
      // Paraphrased, not copied: the skill says "Run the deploy script."
      { ...NO_CHANGE, outcome: 'failure', skill: { ...patch, find: 'Run the deployment script.' } },
      { ...NO_CHANGE, outcome: 'failure', skill: { ...patch, find: 'Run the deploy script.' } },
    );
    await rig.task('deploy to eu-west', [{ name: 'skill_view', arguments: { name: 'deploying-the-app' } }, { name: 'broken' }]);
    expect(retryPrompt(rig)).toContain('"find" does not occur in the body');
    const pending = rig.cairn.learning.proposals.pending();
    expect(pending).toHaveLength(1);
    expect(rig.cairn.learning.proposals.apply(pending[0]!.id, 'person', rig.cairn.manualClock.now())).toMatchObject({ status: 'applied' });
  });

  it('keeps the verdict without the change when the second answer is refused too', async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose' });
    const refused = { ...NO_CHANGE, outcome: 'failure', failed: ['deployed to the wrong region'], skill: { ...valid, name: 'Checking The Region' } };
    rig.reflections.push(refused, refused);
    await rig.task('deploy to eu-west', [{ name: 'broken' }]);
    expect(rig.cairn.learning.proposals.pending()).toEqual([]);
    const [task] = rig.cairn.learning.tasks.recent(1);
    expect(task?.outcomeSource).toBe('self');
    expect(task?.selfAssessment).toContain('deployed to the wrong region');
  });
});

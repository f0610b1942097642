/**
 * A task is a request the agent worked on (at least one tool call). One that ends in an error
 * (the model fails after the tools ran) or is stopped with /stop is recorded, as a failure:
 * it was not recorded at all, and audits, success rates, skill outcomes and the
 * every-15-tasks trigger never heard of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, type LearningRig } from './helpers.js';

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

describe('turns that worked with tools and then failed', () => {
  it('records a turn that ran a tool and then failed as a failed task, and the audit counts it', async () => {
    rig = await learningRig();
    const { cairn, model } = rig;
    await rig.task('what time is it');
    expect(cairn.learning.tasks.count()).toBe(1);

    // The agent runs a tool, then the model call after it fails: the user gets an error.
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { error: { status: 400 } });
    expect(await cairn.gateway.receive(cairn.adapter.message('deploy the app', { messageId: 'failing' }))).toBe('failed');
    await cairn.learning.idle();
    expect(cairn.adapter.sent.at(-1)?.reply.isError).toBe(true);

    const audit = await cairn.learning.audits.run('test');
    expect(cairn.learning.tasks.count()).toBe(2);
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ request: 'deploy the app', outcome: 'failure' });
    expect(audit?.stats?.overall).toMatchObject({ tasks: 2, success: 1, failure: 1 });
  });

  it('records a turn stopped with /stop after its tools ran', async () => {
    rig = await learningRig();
    const { cairn, model } = rig;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { after: held, then: { text: 'too late' } });
    const turn = cairn.gateway.receive(cairn.adapter.message('a long job', { messageId: 'long' }));
    while (model.chatRequests().length < 2) await new Promise((resolve) => setImmediate(resolve));
    await cairn.gateway.receive(cairn.adapter.message('/stop', { command: { name: 'stop', args: '' } }));
    expect(await turn).toBe('stopped');
    release();
    await cairn.learning.idle();
    expect(cairn.learning.tasks.count()).toBe(1);
    expect(cairn.learning.tasks.recent(1)[0]).toMatchObject({ request: 'a long job', toolCalls: 1 });
  });
});

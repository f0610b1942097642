/**
 * "/feedback bad" right after a turn that failed (the provider refused it, /stop) is about that
 * turn: it judged the answer before it instead, steering learning the wrong way.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_REFLECTION: 'off' });
});

describe('/feedback after a failed turn', () => {
  it('judges the failed turn, not the earlier, unrelated answer', async () => {
    const { adapter, gateway } = cairn;
    rig.server.enqueue({ text: 'Paris is the capital of France.' });
    expect(await gateway.receive(adapter.message('capital of France?'))).toBe('turn');
    // The next request fails (the provider refuses it): no answer, no tool calls.
    rig.server.enqueue({ error: { status: 400 } });
    expect(await gateway.receive(adapter.message('now summarize the report'))).toBe('failed');
    await gateway.receive(adapter.message('/feedback bad it just errored', { command: { name: 'feedback', args: 'bad it just errored' } }));
    const tasks = cairn.learning.tasks.recent(10);
    expect(tasks.find((task) => task.request.includes('capital of France'))?.feedback).toBeUndefined();
    expect(tasks.find((task) => task.request.includes('summarize the report'))).toMatchObject({ feedback: 'bad', outcome: 'failure' });
  });
});

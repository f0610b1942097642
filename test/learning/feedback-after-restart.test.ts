/**
 * Typed `/feedback` judges the sender's latest answer in the conversation. Plain turns (no
 * tool calls) are remembered in memory only; after a restart the latest *task* of the person
 * there is judged only while nothing they said came after it: it was an older, unrelated
 * answer, and the verdict and its reason landed on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';

let server: FakeModelServer;
const open: TestCairn[] = [];
afterEach(async () => {
  for (const cairn of open.splice(0)) await cairn.close();
  await server?.close();
});

describe('typed /feedback after a restart', () => {
  it('does not put the verdict on an older task when the latest answer was a plain turn before the restart', async () => {
    server = await startFakeModelServer();
    const config = testConfig(server.url, { CAIRN_REFLECTION: 'off' }, tempDir());
    const first = startTestCairn(config);
    open.push(first);
    // A task (a tool call) that went well, then a plain question answered wrongly.
    server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Deployed.' });
    await first.gateway.receive(first.adapter.message('deploy the app', { messageId: 'm1' }));
    first.manualClock.advance(60_000);
    server.enqueue({ text: 'The capital of Australia is Sydney.' });
    await first.gateway.receive(first.adapter.message('what is the capital of Australia?', { messageId: 'm2' }));
    await first.learning.idle();
    expect(first.learning.tasks.recent(10).map((task) => task.request)).toEqual(['deploy the app']);
    await first.close();
    open.pop();

    // Cairn restarts (an upgrade); the user then says the last answer was wrong.
    const second = startTestCairn(config);
    open.push(second);
    await second.gateway.receive(second.adapter.message('/feedback bad it is Canberra', { messageId: 'm3', command: { name: 'feedback', args: 'bad it is Canberra' } }));
    await second.learning.idle();

    const deploy = second.learning.tasks.recent(10).find((task) => task.request === 'deploy the app');
    // The deploy went fine; "it is Canberra" is not about it.
    expect(deploy?.feedback).toBeUndefined();
    expect(deploy?.outcome).toBe('success');
    expect(second.adapter.texts().at(-1)).toBe("I can't tell which answer of mine this is about (there is none, or I no longer know it), so I can't learn from it. Send /feedback good|bad right after the answer you mean.");
  });
});

/** The daily learning budget holds when several tasks end at once (each reflection checked it before any had spent). */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { NO_CHANGE } from './helpers.js';

let model: FakeModelServer | undefined;
let cairn: TestCairn | undefined;
afterEach(async () => {
  await cairn?.close();
  await model?.close();
});

describe('reflections of tasks that fail at the same time', () => {
  it('start only as many as the daily budget has room for', async () => {
    model = await startFakeModelServer();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reflections = 0;
    model.setDefault((request: RecordedRequest) => {
      const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
      if (messages[0]?.content.startsWith('You review a task')) {
        reflections++;
        // Tokens counted as the server would (about 4 characters each): some 600 for one reflection.
        return { after: held, then: { text: JSON.stringify({ ...NO_CHANGE, outcome: 'failure' }) } };
      }
      return messages.at(-1)?.role === 'tool' ? { text: 'it did not work' } : { toolCalls: [{ name: 'broken', arguments: {} }] };
    });
    // Room for one reflection, not for four.
    cairn = startTestCairn(testConfig(model.url, { CAIRN_LEARNING_DAILY_TOKENS: '1000' }));
    cairn.tools.register({ name: 'broken', description: 'always fails', parameters: z.object({}), execute: () => Promise.reject(new Error('down')) });
    const { gateway, adapter, learning } = cairn;
    await Promise.all(['a', 'b', 'c', 'd'].map((who) => gateway.receive(adapter.message(`fix it ${who}`, { conversationId: `test:dm:${who}`, userId: `test:${who}` }))));
    while (learning.tasks.count() < 4) await new Promise((resolve) => setImmediate(resolve));
    release();
    await learning.idle();
    expect(reflections).toBe(1);
    expect(learning.budget.usedToday()).toBeLessThan(1_000);
  });
});

/**
 * A message deleted while it waits with others sent along with it (coalesce.ts): the others are answered without
 * it. One deleted while the batch's turn runs stops that turn, and the rest are asked again without it. A 👍 on an
 * answer to a deleted message makes no task of its words.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { GatedModel } from '../helpers/gated-model.js';

let server: FakeModelServer;
let model: GatedModel;
let cairn: TestCairn;

beforeEach(async () => {
  server = await startFakeModelServer();
  model = new GatedModel();
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000' }), { model });
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const deletion = (id: string): InboundMessage => cairn.adapter.message('', { messageId: `${id}:deleted`, withdrawn: id });

it('a message deleted while it waits in a batch leaves the batch; the rest are answered', async () => {
  const first = cairn.gateway.receive(cairn.adapter.message('hi', { messageId: 'a' }));
  await model.until(1);
  const waiting = [cairn.gateway.receive(cairn.adapter.message('my password is hunter2', { messageId: 'b' })), cairn.gateway.receive(cairn.adapter.message('can you check the deploy?', { messageId: 'c' }))];
  expect(await cairn.gateway.receive(deletion('b'))).toBe('deleted');
  model.release();
  await model.until(2);
  model.release();
  expect(await Promise.all([first, ...waiting])).toEqual(['turn', 'turn', 'joined']);
  expect(model.started).toEqual(['hi', 'can you check the deploy?']);
});

it('a message deleted while its batch is answered stops that turn; the rest are asked again without it', async () => {
  const first = cairn.gateway.receive(cairn.adapter.message('hi', { messageId: 'a' }));
  await model.until(1);
  const waiting = [cairn.gateway.receive(cairn.adapter.message('my password is hunter2', { messageId: 'b' })), cairn.gateway.receive(cairn.adapter.message('can you check the deploy?', { messageId: 'c' }))];
  model.release();
  await model.until(2);
  expect(model.started[1]).toContain('hunter2');
  await cairn.gateway.receive(deletion('b'));
  // This model port heeds no abort: the call ends, and the turn stops there.
  model.release();
  await model.until(3);
  model.release();
  await Promise.all([first, ...waiting]);
  expect(model.started[2]).toBe('can you check the deploy?');
  expect(cairn.adapter.texts()).toEqual(['re: hi', 're: can you check the deploy?']);
  const stored = cairn.db.prepare<[], string>("SELECT content FROM messages WHERE role = 'user' ORDER BY seq").pluck().all();
  expect(stored).toEqual(['hi', 'can you check the deploy?']);
});

it('a 👍 on the answer to a deleted message makes no task of its words', async () => {
  const asked = cairn.gateway.receive(cairn.adapter.message('the db password is hunter2, is it strong?', { messageId: 'q' }));
  await model.until(1);
  model.release();
  await asked;
  await cairn.gateway.receive(deletion('q'));
  await cairn.gateway.receive(cairn.adapter.message('/feedback good', { messageId: 'f', command: { name: 'feedback', args: 'good' }, feedbackOn: 'q' }));
  expect(cairn.db.prepare("SELECT COUNT(*) FROM tasks WHERE request LIKE '%hunter2%'").pluck().get()).toBe(0);
});

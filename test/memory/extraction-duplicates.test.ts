/** Re-extraction of a known fact finds it by the new note's own words, though it was not among the notes shown: no duplicate. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { memoryReplies } from './helpers.js';

let server: FakeModelServer;
const running: TestCairn[] = [];
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
  await server.close();
});

const ALICE = 'test:alice';
const BISCUIT = 'Alice has a beagle named Biscuit.';

function start(): TestCairn {
  const cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model' }, tempDir()));
  running.push(cairn);
  return cairn;
}

describe('extraction does not pile up duplicates of what is already known', () => {
  it('a long conversation that mentions the dog late does not store the same dog note a second time', async () => {
    const cairn = start();
    cairn.notes.store.add(ALICE, { text: BISCUIT, kind: 'fact', origin: 'model', createdAt: 1 });
    server.setDefault(memoryReplies(() => ({ notes: [{ text: BISCUIT, kind: 'fact' }] })));
    // An ordinary working session: a few dozen distinct words come before the dog is mentioned.
    await cairn.gateway.receive(
      cairn.adapter.message(
        'Morning! Quarterly planning today: budget spreadsheet, hiring pipeline, vendor contracts, office relocation, ' +
          'laptop refresh, security audit, onboarding checklist, customer interviews, pricing experiment, roadmap review, ' +
          'marketing launch, analytics dashboard, support backlog, billing migration, database upgrade, conference travel.',
      ),
    );
    await cairn.gateway.receive(cairn.adapter.message('Anyway, I need to leave early to walk my beagle Biscuit.'));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual([BISCUIT]);
  });
});

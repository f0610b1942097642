/** Re-extraction of a known fact finds it by the new note's own words, though it was not among the notes shown: no duplicate. */
import { describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { memoryReplies } from './helpers.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';
const BISCUIT = 'Alice has a beagle named Biscuit.';

function start(): TestCairn {
  return rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
}

describe('extraction does not pile up duplicates of what is already known', () => {
  it('a long conversation that mentions the dog late does not store the same dog note a second time', async () => {
    const cairn = start();
    cairn.notes.store.add(ALICE, { text: BISCUIT, kind: 'fact', origin: 'model', createdAt: 1 });
    rig.server.setDefault(memoryReplies(() => ({ notes: [{ text: BISCUIT, kind: 'fact' }] })));
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

/** A fact updated late in a long conversation: the note it updates is shown to the model, which replaces it. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { memoryReplies } from './helpers.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
});

const ALICE = 'test:alice';

describe('an update said late in a conversation', () => {
  it('replaces the note it updates, though the conversation began with other things', async () => {
    cairn.notes.store.add(ALICE, { text: 'Alice lives in Paris.', kind: 'fact', origin: 'model', createdAt: 1 });
    // A model that marks the update when it is shown the note, as the prompt asks.
    rig.server.setDefault(
      memoryReplies((prompt) => {
        const shown = /\[(\d+)\] \(fact\) Alice lives in Paris\./.exec(prompt);
        return { notes: [{ text: 'Alice lives in Berlin.', kind: 'fact', ...(shown ? { replaces: Number(shown[1]) } : {}) }] };
      }),
    );
    await cairn.gateway.receive(
      cairn.adapter.message(
        'Morning! Quarterly planning today: budget spreadsheet, hiring pipeline, vendor contracts, office relocation, ' +
          'laptop refresh, security audit, onboarding checklist, customer interviews, pricing experiment, roadmap review, ' +
          'marketing launch, analytics dashboard, support backlog, billing migration, database upgrade, conference travel.',
      ),
    );
    await cairn.gateway.receive(cairn.adapter.message('Also, I moved from Paris to Berlin last month, so the office question is settled.'));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual(['Alice lives in Berlin.']);
  });
});

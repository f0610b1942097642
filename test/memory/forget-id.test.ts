/** /forget takes the id the way /memory writes it. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start();
});

const ALICE = 'test:alice';
const command = (name: string, args: string) => cairn.gateway.receive(cairn.adapter.message(`/${name} ${args}`.trim(), { command: { name, args } }));

describe('/forget <id> as /memory lists it', () => {
  it('/forget [12], copied from the "- [12] (fact, …)" line of /memory, deletes note 12', async () => {
    const note = cairn.notes.store.add(ALICE, { text: 'Alice lives at 12 Elm Street.', kind: 'fact', origin: 'user', createdAt: 1 });
    await command('memory', '');
    const listed = cairn.adapter.texts().at(-1) ?? '';
    const written = new RegExp(`^- (\\[${note.id}\\])`, 'm').exec(listed)?.[1];
    expect(written).toBe(`[${note.id}]`);
    await command('forget', written!);
    expect(cairn.adapter.texts().at(-1)).toMatch(new RegExp(`^Deleted note ${note.id}\\.`));
    expect(cairn.notes.store.list(ALICE)).toEqual([]);
  });
});

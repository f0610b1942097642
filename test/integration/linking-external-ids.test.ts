/**
 * Notes imported under both accounts with the same external id: linking leaves none behind
 * under the old key (which no account resolves to any more). Different texts are both kept;
 * the same text is one note.
 */
import { describe, expect, it } from 'vitest';
import { memoryReplies } from '../memory/helpers.js';
import { cmd, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld(memoryReplies(() => ({ notes: [] })));
let world: World;

const line = (text: string, externalId: string) => JSON.stringify({ text, created_at: '2026-11-01T10:00:00Z', external_id: externalId });

describe('linking accounts whose imported notes share an external id', () => {
  it("the joining account's note is still one of the person's notes after the link", async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    cairn.notes.import('telegram:100', line('Works on the billing service.', 'note-1'), 'telegram.jsonl');
    cairn.notes.import('slack:U1', line('Has a peanut allergy.', 'note-1'), 'slack.jsonl');
    await link(world, [telegram, '100'], [slack, 'U1']);
    const person = cairn.access.personOf('slack:U1');
    expect(cairn.notes.store.list(person).map((n) => n.text).sort()).toEqual(['Has a peanut allergy.', 'Works on the billing service.']);
  });

  it('one note when both accounts had the same text under the same external id, counted and found once', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    cairn.notes.import('telegram:100', line('Works on the billing service.', 'note-1'), 'telegram.jsonl');
    cairn.notes.import('slack:U1', line('Works on the billing service.', 'note-1'), 'slack.jsonl');
    await link(world, [telegram, '100'], [slack, 'U1']);
    const person = cairn.access.personOf('slack:U1');
    expect(cairn.notes.store.list(person).map((n) => n.text)).toEqual(['Works on the billing service.']);
    expect({ person: cairn.notes.store.owner(person)?.notes, old: cairn.notes.store.owner('slack:U1')?.notes }).toEqual({ person: 1, old: 0 });
    expect(cairn.db.prepare('SELECT COUNT(*) AS n FROM notes').get()).toEqual({ n: 1 });
    expect((await cairn.notes.search.search(person, 'billing')).map((hit) => hit.note.text)).toEqual(['Works on the billing service.']);
  });

  it('both notes are counted and found under the person when their texts differ', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    cairn.notes.import('telegram:100', line('Works on the billing service.', 'note-1'), 'telegram.jsonl');
    cairn.notes.import('slack:U1', line('Works on the billing dashboard.', 'note-1'), 'slack.jsonl');
    await link(world, [telegram, '100'], [slack, 'U1']);
    const person = cairn.access.personOf('slack:U1');
    expect(cairn.notes.store.owner(person)?.notes).toBe(2);
    expect((await cairn.notes.search.search(person, 'billing')).map((hit) => hit.note.text).sort()).toEqual(['Works on the billing dashboard.', 'Works on the billing service.']);
  });

  it('/forget all on the linked account deletes every note either account had', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    cairn.notes.import('telegram:100', line('Works on the billing service.', 'note-1'), 'telegram.jsonl');
    cairn.notes.import('slack:U1', line('Has a peanut allergy.', 'note-1'), 'slack.jsonl');
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    const left = cairn.db.prepare('SELECT n.text, o.user_id FROM notes n JOIN note_owners o ON o.id = n.owner_id').all();
    expect(left).toEqual([]);
  });
});

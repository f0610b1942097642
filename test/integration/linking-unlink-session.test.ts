/**
 * After /unlink, the conversation in progress of the account that left (its prompt, built when
 * it started, holds the person's notes) ends, as /forget ends such sessions, and it is told so.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { memoryReplies } from '../memory/helpers.js';
import { cmd, dm, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld(memoryReplies(() => ({ notes: [] })));
let world: World;

const systemOf = (body: ChatBody | undefined) => String(body?.messages?.[0]?.content ?? '');

describe('/unlink and the conversation in progress', () => {
  it("the account that left no longer has the person's notes in its prompt", async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    cairn.notes.save('telegram:100', { text: 'The office door code is 4711.', kind: 'fact', pinned: true, now: cairn.manualClock.now() });
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'hello'))).toBe('turn');
    expect(systemOf(linking.model.chatRequests().at(-1))).toContain('4711'); // linked: the person's notes are in the prompt
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    expect(slack.texts().at(-1)).toBe('This account is no longer linked to your others. Our conversation starts afresh, without what I know from them.');
    // Its memory tools now search its own (empty) notes, and the person's are not its any more.
    expect(cairn.notes.store.list(cairn.access.personOf('slack:U1'))).toEqual([]);
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'what is the door code?'))).toBe('turn');
    expect(systemOf(linking.model.chatRequests().at(-1))).not.toContain('4711');
  });

  it('the conversations of the accounts that stay go on, and the one that left is not condensed into notes', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(telegram, '100', 'hello from telegram'))).toBe('turn');
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'hello from slack'))).toBe('turn');
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    await cairn.notes.idle();
    const sessions = cairn.db.prepare('SELECT conversation_id, status, end_reason, notes_state FROM sessions ORDER BY conversation_id').all();
    expect(sessions).toEqual([
      { conversation_id: 'slack:dm:U1', status: 'ended', end_reason: 'unlinked', notes_state: null },
      { conversation_id: 'telegram:dm:100', status: 'active', end_reason: null, notes_state: null },
    ]);
  });

  it('says nothing of a fresh start when the account had no conversation going on', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    expect(slack.texts().at(-1)).toBe('This account is no longer linked to your others.');
    expect(cairn.access.personOf('slack:U1')).toBe('slack:U1');
  });
});

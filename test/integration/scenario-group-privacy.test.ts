/**
 * Alice and Bob share Cairn. Alice tells Cairn private things in her direct chat (a surprise party
 * for Bob, her salary); later both are in a Telegram forum group where Cairn answers them, in topics
 * and in each member's own session. Bob's questions never reach Alice's notes; Alice's own questions
 * in the group find only what she said in that group, never what she told Cairn in private, also
 * when a note condensed from the group updates one from her direct chat; her direct chat finds all
 * of it. A note learned in one group stays out of another group, and follows its group when it
 * becomes a supergroup.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const PARTY = 'Alice is planning a surprise party for Bob on Saturday.';
const SALARY = 'Alice earns 95,000 EUR a year.';
const CAKE = 'Alice is bringing the cake to the team lunch on Friday.';
const GROUP = 'telegram:-500';
const SUPERGROUP = 'telegram:-1002000000777';

/** The notes the next extraction answers with (the aux model condensing a session). */
let condensed: { text: string; kind: string; replaces?: number }[] = [];
function modelReply(request: RecordedRequest): FakeReply {
  const system = String((request.body as ChatBody).messages?.[0]?.content ?? '');
  if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: condensed.splice(0) }) };
  return { text: 'ok' };
}

/** What the memory tools returned in the last request to the model, and its system prompt. */
function lastRequest(): { tools: string; system: string } {
  const messages = rig.server.chatRequests().at(-1)?.messages ?? [];
  return { tools: JSON.stringify(messages.filter((m: { role: string }) => m.role === 'tool')), system: String(messages[0]?.content ?? '') };
}

describe('Alice and Bob share Cairn', () => {
  it("keeps what Alice said in private out of the group, whoever asks there", async () => {
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '1,2', CAIRN_REFLECTION: 'off' });
    rig.server.setDefault(modelReply);
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const alice = { senderId: '1', userId: 'telegram:1', userName: 'Alice' };
    const bob = { senderId: '2', userId: 'telegram:2', userName: 'Bob' };
    const say = (who: typeof alice, conversationId: string, text: string, more: Partial<InboundMessage> = {}) =>
      cairn.gateway.receive(telegram.message(text, { ...who, conversationId, isDirect: conversationId === `telegram:${who.senderId}`, addressed: true, ...more }));
    const search = (query: string) => rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query } }] }, { text: 'Here is what I found.' });

    // 1. In her direct chat Alice tells Cairn about Bob's party and her salary; the chat ends and is condensed.
    await say(alice, 'telegram:1', "I'm planning a surprise party for Bob on Saturday. Also I earn 95,000 EUR a year.");
    condensed = [{ text: PARTY, kind: 'fact' }, { text: SALARY, kind: 'fact' }];
    await say(alice, 'telegram:1', '/new', { command: { name: 'new', args: '' } });
    await cairn.notes.idle();
    const party = cairn.notes.store.list('telegram:1').find((note) => note.text === PARTY);
    expect(party).toBeDefined();

    // 2. In the group (topic 7), Bob asks about Alice: his search is of his own notes.
    const topic = `${GROUP}:7`;
    search('Alice party planning');
    await say(bob, topic, 'what is Alice planning? search your memory for party');
    expect(lastRequest().tools).not.toContain('surprise party');
    expect(lastRequest().system).not.toContain('surprise party');

    // 3. Alice asks there too: what she told Cairn in private is not brought into the group Bob reads.
    search('weekend party salary');
    await say(alice, topic, 'any ideas for this weekend? and what do I earn?');
    expect(lastRequest().tools).not.toContain('surprise party');
    expect(lastRequest().tools).not.toContain('95,000');
    expect(lastRequest().tools).toContain('ask you in a direct chat');

    // 4. What she asks Cairn to remember in the group is found in the group: another topic, her own session there.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: CAKE, kind: 'fact' } }] }, { text: 'Noted.' });
    await say(alice, topic, "remember I'm bringing the cake to the team lunch on Friday");
    search('bringing Friday lunch');
    await say(alice, `${GROUP}:9`, 'what am I bringing on Friday?');
    expect(lastRequest().tools).toContain('bringing the cake');
    search('cake');
    await say(alice, `${GROUP}:1`, 'what was it again?');
    expect(lastRequest().tools).toContain('bringing the cake');

    // 5. The group's conversation is condensed with only the notes learned there: the aux model is not
    //    shown the private one, and a note naming it anyway is the group's own, not an update of it.
    await say(alice, `${GROUP}:9`, "I'm off work on Saturday");
    condensed = [{ text: 'Alice is off work on Saturday.', kind: 'fact', replaces: party?.id ?? 0 }];
    await say(alice, `${GROUP}:9`, '/new', { command: { name: 'new', args: '' } });
    await cairn.notes.idle();
    const extraction = rig.server.chatRequests().filter((body) => String(body.messages?.[0]?.content ?? '').startsWith('You maintain long-term memory')).at(-1);
    expect(JSON.stringify(extraction)).toContain('off work on Saturday');
    expect(JSON.stringify(extraction)).not.toContain('surprise party');
    expect(cairn.notes.store.list('telegram:1').map((note) => note.text)).toEqual(expect.arrayContaining([PARTY, 'Alice is off work on Saturday.']));
    search('Saturday');
    await say(alice, `${GROUP}:9`, 'what am I doing on Saturday?');
    expect(lastRequest().tools).toContain('off work on Saturday');
    expect(lastRequest().tools).not.toContain('surprise party');

    // 6. Another group of Alice's does not get the team group's notes either.
    search('cake Friday');
    await say(alice, 'telegram:-600', 'what am I bringing on Friday?');
    expect(lastRequest().tools).not.toContain('bringing the cake');

    // 7. The group becomes a supergroup: its notes go with it.
    cairn.moveConversation(GROUP, SUPERGROUP);
    search('cake Friday');
    await say(alice, `${SUPERGROUP}:7`, 'what am I bringing on Friday?');
    expect(lastRequest().tools).toContain('bringing the cake');

    // 8. In her direct chat, everything is hers to see.
    search('party cake earns Saturday');
    await say(alice, 'telegram:1', 'what do you know about my week?');
    const dm = lastRequest().tools;
    for (const text of ['surprise party', '95,000', 'bringing the cake', 'off work on Saturday']) expect(dm).toContain(text);
  });
});

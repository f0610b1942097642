/**
 * Condensing a group conversation into notes shows the aux model, and reconciles against, only the
 * speaker's notes learned in that group (places.ts): what they told Cairn in a direct chat stays out
 * of what the group's notes say. A note written there is stored as learned in the group, where
 * memory_search finds it in front of everyone. A direct chat's extraction still sees all their notes.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { TestCairn } from '../helpers/cairn.js';
import { NotePlaces, looksDirect } from '../../src/memory/notes/places.js';
import { placeOfSession } from '../../src/memory/notes/extraction.js';

const rig = useFakeModelRig();
const ALICE = 'telegram:1';
const DM = 'telegram:1';
const GROUP = 'telegram:-500';
const PARTY = 'Alice is planning a surprise party for Bob on Saturday.';

let condensed: { text: string; kind: string; replaces?: number }[] = [];
const systemOf = (body: ChatBody) => String(body.messages?.[0]?.content ?? '');
const isExtraction = (body: ChatBody) => systemOf(body).startsWith('You maintain long-term memory');
function modelReply(request: RecordedRequest): FakeReply {
  if (isExtraction(request.body as ChatBody)) return { text: JSON.stringify({ notes: condensed.splice(0) }) };
  return { text: 'ok' };
}
/** What the last extraction request showed the aux model. */
const lastExtraction = () => JSON.stringify(rig.server.chatRequests().filter(isExtraction).at(-1));

function start(): { cairn: TestCairn; say: (conversationId: string, text: string, command?: string) => Promise<void> } {
  const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '1', CAIRN_REFLECTION: 'off' });
  rig.server.setDefault(modelReply);
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  const alice = { senderId: '1', userId: ALICE, userName: 'Alice' };
  const say = async (conversationId: string, text: string, command?: string) => {
    const isDirect = conversationId === DM;
    await cairn.gateway.receive(telegram.message(text, { ...alice, conversationId, isDirect, addressed: true, ...(command ? { command: { name: command, args: '' } } : {}) }));
  };
  return { cairn, say };
}

/** Alice tells Cairn of the party in her direct chat, which is condensed into the note PARTY. */
async function partyToldInPrivate(cairn: TestCairn, say: (conversationId: string, text: string, command?: string) => Promise<void>) {
  await say(DM, "I'm planning a surprise party for Bob on Saturday");
  condensed = [{ text: PARTY, kind: 'fact' }];
  await say(DM, '/new', 'new');
  await cairn.notes.idle();
  const [note] = cairn.notes.store.list(ALICE);
  expect(note?.text).toBe(PARTY);
  return note!;
}

describe('condensing a group conversation', () => {
  it("does not show the aux model the speaker's notes from their direct chat, pinned ones neither", async () => {
    const { cairn, say } = start();
    const party = await partyToldInPrivate(cairn, say);
    cairn.notes.store.add(ALICE, { text: 'Alice keeps the party budget under 200 euros.', kind: 'fact', origin: 'user', pinned: true, sourceSession: party.sourceSession, createdAt: party.createdAt });

    await say(GROUP, "I'm off work on Saturday, planning a party?");
    await say(GROUP, '/new', 'new');
    await cairn.notes.idle();
    expect(lastExtraction()).toContain('off work on Saturday');
    expect(lastExtraction()).not.toContain('surprise party');
    expect(lastExtraction()).not.toContain('party budget');
  });

  it('neither updates nor confirms a note from the direct chat: what was said in the group is kept as learned there', async () => {
    const { cairn, say } = start();
    const party = await partyToldInPrivate(cairn, say);

    await say(GROUP, 'The party for Bob moved to Sunday, by the way');
    // The model names the private note it was not shown, and says it again word for word.
    condensed = [
      { text: "Alice's party for Bob moved to Sunday.", kind: 'fact', replaces: party.id },
      { text: PARTY, kind: 'fact' },
    ];
    await say(GROUP, '/new', 'new');
    await cairn.notes.idle();

    const notes = cairn.notes.store.all(ALICE);
    expect(notes.find((note) => note.id === party.id)?.supersededBy).toBeUndefined();
    const learnedHere = notes.filter((note) => note.id !== party.id);
    expect(learnedHere.map((note) => note.text).sort()).toEqual([PARTY, "Alice's party for Bob moved to Sunday."]);
    // Both are the group's own: memory_search in the group finds them, and the private note stays held back there.
    const places = new NotePlaces(cairn.notes.store.db);
    expect(places.usableIn(GROUP, learnedHere.map((note) => ({ note }))).heldBack).toBe(0);
    expect(places.usableIn(GROUP, [{ note: party }]).heldBack).toBe(1);
  });

  it("still shows a direct chat all of the person's notes, the group's too", async () => {
    const { cairn, say } = start();
    await say(GROUP, 'I run the office book club every Thursday');
    condensed = [{ text: 'Alice runs the office book club every Thursday.', kind: 'fact' }];
    await say(GROUP, '/new', 'new');
    await cairn.notes.idle();

    await say(DM, 'Remind me what day my book club meets');
    await say(DM, '/new', 'new');
    await cairn.notes.idle();
    expect(lastExtraction()).toContain('Alice runs the office book club every Thursday.');
  });

  it('records whether each session is a direct chat, and reads one started before that by its conversation id', async () => {
    const { cairn, say } = start();
    const party = await partyToldInPrivate(cairn, say);
    const store = cairn.sessions.store;
    expect(store.get(party.sourceSession!)?.isDirect).toBe(true);
    await say(GROUP, 'hello');
    expect(store.active(GROUP)?.isDirect).toBe(false);
    await say(GROUP, '/new', 'new');
    await cairn.notes.idle();

    // A group session started before Cairn recorded it (is_direct NULL) is condensed as a group's.
    const old = store.start({ conversationId: 'telegram:-777', platform: 'telegram', userId: ALICE, prefix: 'p', model: undefined }, cairn.manualClock.now());
    expect(old.isDirect).toBeUndefined();
    store.append(old.id, [{ message: { role: 'user', content: 'Is the surprise party for Bob still on Saturday?' }, userId: ALICE }, { message: { role: 'assistant', content: 'ok' } }], cairn.manualClock.now());
    cairn.sessions.endConversation('telegram:-777', 'idle');
    await cairn.notes.idle();
    expect(lastExtraction()).toContain('still on Saturday');
    expect(lastExtraction()).not.toContain(PARTY);

    // An old direct chat's still sees them all.
    const oldDm = store.start({ conversationId: DM, platform: 'telegram', userId: ALICE, prefix: 'p', model: undefined }, cairn.manualClock.now());
    store.append(oldDm.id, [{ message: { role: 'user', content: 'Is the surprise party for Bob still on Saturday?' }, userId: ALICE }, { message: { role: 'assistant', content: 'ok' } }], cairn.manualClock.now());
    cairn.sessions.endConversation(DM, 'idle');
    await cairn.notes.idle();
    expect(lastExtraction()).toContain(PARTY);
  });
});

describe('placeOfSession', () => {
  it('is the conversation of a group session, none for a direct one, and guesses only plain direct chats for an old one', () => {
    expect(placeOfSession({ conversationId: 'telegram:-500:42', isDirect: false })).toBe('telegram:-500:42');
    expect(placeOfSession({ conversationId: 'telegram:-500', isDirect: true })).toBeUndefined();
    expect(placeOfSession({ conversationId: 'telegram:-500', isDirect: undefined })).toBe('telegram:-500');
    expect(placeOfSession({ conversationId: 'telegram:42', isDirect: undefined })).toBeUndefined();
  });
});

describe('looksDirect', () => {
  it("names the direct chats of each platform's conversation ids, and nothing else", () => {
    for (const direct of ['console:alice', 'discord:dm:9', 'telegram:42', 'telegram:42:7', 'slack:T1:D1', 'slack:T1:D1:1700000000.1']) expect(looksDirect(direct), direct).toBe(true);
    const groups = ['discord:42:777', 'telegram:-500', 'telegram:-1002000000777:7', 'telegram:-500:42', 'slack:T1:C1', 'slack:T1:C1:1700000000.1', 'slack:T1:G1', 'slack:T1:D1:private-U2', 'matrix:!room', 'test:c'];
    for (const group of groups) expect(looksDirect(group), group).toBe(false);
  });
});

/**
 * A person on two linked accounts (Telegram and Slack DMs) who is in a Slack channel too, with notes,
 * tasks the learning loop recorded and reflected on, and an audit; then `/forget <id>`, `/forget all`
 * and `cairn memory forget`. After each, what was forgotten is nowhere the model, other people or the
 * operator's outputs read it: notes and their search index and vectors, the group's history, the
 * recorded tasks (request, reply, trajectory, errors, feedback, reflections), a later audit report,
 * `/memory`, `/export`, `cairn memory export`, `cairn tasks list`, and later requests to the model.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess as cli, useCairnDataDir } from '../helpers/cli-in-process.js';
import { cmd, dm, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const LOCKER = '4812';
const DOOR = '7731';
const PERSON = 'telegram:100';
const systemOf = (request: RecordedRequest) => String((request.body as ChatBody).messages?.[0]?.content ?? '');

/** Reflection and extraction retell what they read, as a real model would; chat turns answer "ok". */
function modelReply(request: RecordedRequest): FakeReply {
  const system = systemOf(request);
  const shown = JSON.stringify((request.body as ChatBody).messages?.slice(1) ?? []);
  const secrets = [LOCKER, DOOR].filter((secret) => shown.includes(secret)).join(' and ') || 'nothing';
  if (system.startsWith('You review a task')) {
    return { text: JSON.stringify({ outcome: 'failure', efficient: true, worked: [], failed: [`the code ${secrets} was wrong`], assumptions: [], doDifferently: [], skill: { action: 'none' } }) };
  }
  if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: secrets === 'nothing' ? [] : [{ text: `Alice's codes: ${secrets}.`, kind: 'fact' }] }) };
  return { text: 'ok' };
}

const rig = useLinkingWorld(modelReply);
let world: World;
let dataDir: string;
beforeEach(() => {
  dataDir = tempDir();
});
useCairnDataDir(() => dataDir);

/** Everything stored that a person, the model or an operator's command could read back. */
function stored(w: World): string {
  const { db } = w.cairn;
  const fts = (token: string) => db.prepare('SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?').all(`"${token}"`);
  return JSON.stringify([
    db.prepare('SELECT * FROM notes').all(),
    fts(LOCKER),
    fts(DOOR),
    db.prepare('SELECT * FROM tasks').all(),
    db.prepare('SELECT * FROM reflections').all(),
    db.prepare('SELECT * FROM skill_proposals').all(),
    db.prepare("SELECT m.* FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.status = 'active'").all(),
  ]);
}

describe('a person who asks Cairn to forget', () => {
  it('leaves nothing forgotten readable, step by step', async () => {
    world = rig.start({ CAIRN_DATA_DIR: dataDir, CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_EMBEDDINGS_MODEL: 'embed', SLACK_ALLOWED_USERS: 'U1,U2' });
    const { cairn, telegram, slack } = world;
    const model = rig.model;
    await link(world, [telegram, '100'], [slack, 'U1']);

    // Weeks of use: a note from each account, a failed task judged with 👎 and reflected on, a plain answer.
    model.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: `Alice's bike is in locker ${LOCKER}.`, kind: 'fact' } }] }, { text: 'Saved.' });
    await cairn.gateway.receive(dm(telegram, '100', `remember my bike is in locker ${LOCKER}`));
    model.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: `Alice's door code is ${DOOR}.`, kind: 'fact' } }] }, { text: 'Saved.' });
    await cairn.gateway.receive(dm(slack, 'U1', `remember my door code is ${DOOR}`, { messageId: 'door' }));
    await cairn.gateway.receive(dm(slack, 'U1', `/feedback bad the code is ${DOOR}, not what you said`, { command: { name: 'feedback', args: `bad the code is ${DOOR}, not what you said` } }));
    await cairn.learning.idle();
    await cairn.gateway.receive(dm(slack, 'U1', `what is in locker ${LOCKER}?`, { messageId: 'plain' }));
    // In a channel Bob started, Alice's notes are searched (vectors are made on the way).
    const channel = { conversationId: 'slack:T1:C1', isDirect: false, addressed: true };
    await cairn.gateway.receive(slack.message('morning all', { ...channel, senderId: 'U2', userId: 'slack:U2' }));
    model.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'door code locker' } }] }, { text: 'Found them.' });
    await cairn.gateway.receive(slack.message('@Cairn what are my codes?', { ...channel, senderId: 'U1', userId: 'slack:U1' }));
    await cairn.learning.idle();
    expect(stored(world)).toContain(DOOR);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(2);
    const doorNote = cairn.notes.store.list(PERSON, { limit: 10 }).find((note) => note.text.includes(DOOR));

    // /forget <id> from Telegram: the door code goes from the notes, the channel's history and the tasks.
    await cairn.gateway.receive(cmd(telegram, '100', 'forget', String(doorNote?.id)));
    expect(telegram.texts().at(-1)).toMatch(/^Deleted note \d+\./);
    expect(stored(world)).not.toContain(DOOR);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(1);

    // /forget all from Slack; then a 👎 on a plain answer from before it, and an audit.
    cairn.manualClock.advance(60_000);
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    expect(slack.texts().at(-1)).toMatch(/^Deleted your one note\./);
    const before = model.requests.length;
    await cairn.gateway.receive(dm(slack, 'U1', '/feedback bad', { command: { name: 'feedback', args: 'bad' }, feedbackOn: 'plain' }));
    await cairn.learning.idle();
    const audit = await cairn.learning.audits.run('manual');
    expect(audit?.status).toBe('done');
    expect(audit?.report).toContain('**user said the answer was wrong** × 2\n');
    await cairn.gateway.receive(cmd(slack, 'U1', 'memory'));
    await cairn.gateway.receive(cmd(slack, 'U1', 'export'));
    await cairn.gateway.receive(dm(telegram, '100', 'where is my bike?'));
    await cairn.gateway.receive(slack.message('@Cairn anything else?', { ...channel, senderId: 'U1', userId: 'slack:U1' }));
    await cairn.gateway.receive(cmd(telegram, '100', 'new'));
    await cairn.notes.idle();
    await cairn.learning.idle();

    const readable = [stored(world), audit?.report, JSON.stringify(model.requests.slice(before)), slack.texts().slice(-3), telegram.texts().slice(-2)].join('\n');
    expect(readable).not.toContain(LOCKER);
    expect(readable).not.toContain(DOOR);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM note_embeddings').pluck().get()).toBe(0);
    // The operator's outputs.
    const outputs = [await cli('memory', 'export', '--user', 'slack:U1'), await cli('tasks', 'list', '--json'), await cli('memory', 'users', '--json')].flat().join('\n');
    expect(outputs).not.toContain(LOCKER);
    expect(outputs).toContain('(Deleted with /forget.)');
  });

  it('`cairn memory forget` reaches the tasks too', async () => {
    world = rig.start({ CAIRN_DATA_DIR: dataDir });
    const { cairn, telegram } = world;
    model().enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: `Alice's bike is in locker ${LOCKER}.`, kind: 'fact' } }] }, { text: 'Saved.' });
    await cairn.gateway.receive(dm(telegram, '100', `remember my bike is in locker ${LOCKER}`));
    expect(await cli('tasks', 'list', '--json')).toEqual([expect.stringContaining(LOCKER)]);
    expect((await cli('memory', 'forget', '--user', PERSON, 'all'))[0]).toBe(`Deleted 1 notes of ${PERSON}.`);
    const listed = (await cli('tasks', 'list', '--json')).join('\n');
    expect(listed).not.toContain(LOCKER);
    expect(listed).toContain('(Deleted with /forget.)');
  });
});

const model = () => rig.model;

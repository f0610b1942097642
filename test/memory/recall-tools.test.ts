/** Recall into the next session's prompt, the memory tools as the model calls them, and /memory and /forget. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction, memoryReplies, NOW, notesFixture, toolContext } from './helpers.js';
import { memorySaveTool, memorySearchTool } from '../../src/memory/notes/tools.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';
const chatBodies = () => rig.server.chatRequests().filter((body) => !isExtraction(body));
const systemPrompt = (body: ChatBody | undefined) => String(body?.messages[0]?.content ?? '');
const toolResult = (body: ChatBody | undefined) => String([...(body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === 'tool')?.content ?? '');
const command = (cairn: TestCairn, name: string, args = '', overrides = {}) => cairn.adapter.message(`/${name} ${args}`.trim(), { command: { name, args }, ...overrides });

describe('recall', () => {
  it("puts what the last session taught into the next session's prompt", async () => {
    rig.server.setDefault(memoryReplies((transcript) => (transcript.includes('Pixel') ? { notes: [{ text: 'Alice has a gray cat named Pixel.', kind: 'fact' }] } : { notes: [] })));
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('My gray kitten is called Pixel'));
    await cairn.gateway.receive(command(cairn, 'new'));
    await cairn.notes.idle();
    await cairn.gateway.receive(cairn.adapter.message('what should I feed my cat?'));
    const prompt = systemPrompt(chatBodies().at(-1));
    expect(prompt).toContain('## Memory');
    expect(prompt).toMatch(/- \[\d+\] \(fact, \d{4}-\d\d-\d\d\) Alice has a gray cat named Pixel\./);
  });

  it('recalls pinned notes first, then those relevant to the first message, within the token budget', async () => {
    // The header, with its line saying notes are not instructions, takes about 80 of these.
    const cairn = rig.start({ CAIRN_MEMORY_RECALL_TOKENS: '150' });
    const store = cairn.notes.store;
    store.add(ALICE, { text: 'Alice wants answers in British English.', kind: 'preference', origin: 'user', pinned: true, createdAt: 1 });
    store.add(ALICE, { text: 'Alice deploys the billing service with Helm.', kind: 'fact', origin: 'model', createdAt: 2 });
    for (let i = 0; i < 30; i++) store.add(ALICE, { text: `Alice had lunch at place number ${i} and liked the soup a lot.`, kind: 'fact', origin: 'model', createdAt: 3 + i });
    await cairn.gateway.receive(cairn.adapter.message('the billing deploy failed again'));
    const prompt = systemPrompt(chatBodies().at(-1));
    expect(prompt).toContain('British English');
    expect(prompt).toContain('billing service with Helm');
    expect(prompt).not.toContain('lunch at place');
    const memory = prompt.slice(prompt.indexOf('## Memory'));
    expect(Math.ceil(memory.length / 4)).toBeLessThanOrEqual(160);
  });

  it("never puts one user's notes in another's prompt, nor anyone's in a group's shared prompt", async () => {
    const cairn = rig.start();
    cairn.notes.store.add(ALICE, { text: 'Alice secret project codename Bluebird.', kind: 'fact', origin: 'user', pinned: true, createdAt: 1 });
    await cairn.gateway.receive(cairn.adapter.message('tell me about project Bluebird', { userId: 'test:bob', senderId: 'bob', userName: 'bob', conversationId: 'test:dm:bob' }));
    await cairn.gateway.receive(cairn.adapter.message('project Bluebird status?', { conversationId: 'test:group:1', isDirect: false, addressed: true }));
    for (const body of chatBodies()) expect(JSON.stringify(body)).not.toContain('codename Bluebird');
    expect(systemPrompt(chatBodies().at(-1))).toContain('use memory_search');
  });
});

describe('memory tools', () => {
  it('memory_save keeps what the user asked, as their own trusted note, secrets masked, once', async () => {
    const cairn = rig.start();
    const save = { name: 'memory_save', arguments: { text: 'Alice wants answers in British English. Her wifi password is hunter2hunter2.', kind: 'preference', pinned: true } };
    rig.server.enqueue({ toolCalls: [save] }, { text: 'Noted.' }, { toolCalls: [save] }, { text: 'Already noted.' });
    await cairn.gateway.receive(cairn.adapter.message('please always remember: British English. wifi password is hunter2hunter2'));
    await cairn.gateway.receive(cairn.adapter.message('again please'));
    const notes = cairn.notes.store.list(ALICE);
    expect(notes).toEqual([expect.objectContaining({ kind: 'preference', origin: 'user', trust: 'high', pinned: true })]);
    expect(notes[0]?.text).toBe('Alice wants answers in British English. Her wifi password is [redacted]');
    expect(notes[0]?.sourceSession).toBe(cairn.sessions.store.active('test:dm:alice')?.id);
    expect(toolResult(chatBodies().at(-1))).toContain('Already remembered as note');
    // A correction that negates it is no duplicate.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: "Alice doesn't want answers in British English.", kind: 'preference' } }] }, { text: 'Corrected.' });
    await cairn.gateway.receive(cairn.adapter.message('actually, not British English'));
    expect(toolResult(chatBodies().at(-1))).not.toContain('Already remembered');
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toContain("Alice doesn't want answers in British English.");
  });

  it('memory_search finds the speaker\'s notes by words, date range and kind', async () => {
    const cairn = rig.start();
    const add = (text: string, kind: string, day: string) => cairn.notes.store.add(ALICE, { text, kind, origin: 'model', createdAt: Date.parse(`${day}T10:00:00Z`) });
    add('Decided to deploy on Tuesdays only.', 'decision', '2026-03-02');
    add('Decided to deploy with blue-green switching.', 'decision', '2026-03-20');
    add('The deploy failed because of a stale lockfile; deleting it fixed it.', 'solution', '2026-03-21');
    cairn.notes.store.add('test:bob', { text: 'Bob decided to deploy from his laptop.', kind: 'decision', origin: 'model', createdAt: Date.parse('2026-03-20T10:00:00Z') });
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'deploy decided', since: '2026-03-10', until: '2026-03-31', kind: 'decision' } }] }, { text: 'Found it.' });
    await cairn.gateway.receive(cairn.adapter.message('what did we decide about deploys this month?'));
    const result = JSON.parse(toolResult(chatBodies().at(-1))) as { notes: { text: string; kind: string; created_at: string }[] };
    expect(result.notes.map((note) => note.text)).toEqual(['Decided to deploy with blue-green switching.']);
    expect(result.notes[0]?.created_at).toBe('2026-03-20T10:00:00.000Z');

    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'deploy', since: 'last week' } }] }, { text: 'Oops.' });
    await cairn.gateway.receive(cairn.adapter.message('and last week?'));
    expect(toolResult(chatBodies().at(-1))).toMatch(/ISO 8601/);
  });
});

describe('memory tools, called directly', () => {
  const closing: { close(): void }[] = [];
  afterEach(() => {
    for (const db of closing.splice(0)) db.close();
  });
  function notesOnly() {
    const made = notesFixture();
    closing.push(made.db);
    return made.notes;
  }

  it('memory_save with pinned: true pins a note Cairn already had, and makes it the user\'s own', async () => {
    const notes = notesOnly();
    // Extracted from an earlier conversation: not pinned, the model's inference.
    const extracted = notes.store.add(ALICE, { text: 'Alice prefers answers in British English.', kind: 'preference', origin: 'model', createdAt: NOW - 86_400_000 });
    // "Always remember, and pin it: I prefer answers in British English."
    const reply = await memorySaveTool(notes).execute({ text: 'Alice prefers answers in British English.', kind: 'preference', pinned: true }, toolContext(ALICE));
    expect(reply).toBe(`Already remembered as note ${extracted.id}, pinned now: Alice prefers answers in British English.`);
    expect(notes.store.pinned(ALICE)).toEqual([expect.objectContaining({ id: extracted.id, origin: 'user', trust: 'high' })]);
    expect(notes.store.list(ALICE)).toHaveLength(1);
  });

  it('memory_search takes since: "" and until: "" (as open models send optional fields) as absent', async () => {
    const notes = notesOnly();
    notes.store.add(ALICE, { text: 'Alice deploys on Tuesdays.', kind: 'decision', origin: 'user', createdAt: NOW });
    const result = await memorySearchTool(notes).execute({ query: 'deploys', since: '', until: ' ', limit: 8 }, toolContext(ALICE));
    expect(result).toEqual({ notes: [expect.objectContaining({ text: 'Alice deploys on Tuesdays.' })] });
  });

  it('memory_search searches the person the user key belongs to now (a turn that began before the account was linked)', async () => {
    const notes = notesOnly();
    notes.store.add('telegram:100', { text: 'Deploys the billing service on Fridays.', kind: 'fact', origin: 'user', createdAt: NOW });
    const personOf = (userId: string) => (userId === 'slack:U1' ? 'telegram:100' : userId);
    const result = await memorySearchTool(notes, personOf).execute({ query: 'billing', limit: 8 }, toolContext('slack:U1'));
    expect(result).toEqual({ notes: [expect.objectContaining({ text: 'Deploys the billing service on Fridays.' })] });
  });
});

describe('/memory and /forget', () => {
  it('show the sender their notes with ids, search them, and delete one or all', async () => {
    const cairn = rig.start();
    const tabs = cairn.notes.store.add(ALICE, { text: 'Alice indents with tabs.', kind: 'preference', origin: 'model', createdAt: 1 });
    cairn.notes.store.add(ALICE, { text: 'Alice is on the payments team.', kind: 'fact', origin: 'user', pinned: true, createdAt: 2 });
    const bobs = cairn.notes.store.add('test:bob', { text: 'Bob likes spaces.', kind: 'preference', origin: 'model', createdAt: 3 });
    await cairn.gateway.receive(command(cairn, 'memory'));
    const listing = cairn.adapter.texts().at(-1)!;
    expect(listing).toContain('(2 notes)');
    expect(listing).toContain(`[${tabs.id}] (preference`);
    expect(listing.indexOf('payments')).toBeLessThan(listing.indexOf('tabs'));
    expect(listing).not.toContain('Bob');
    await cairn.gateway.receive(command(cairn, 'memory', 'tabs'));
    expect(cairn.adapter.texts().at(-1)).toContain('Alice indents with tabs.');
    await cairn.gateway.receive(command(cairn, 'memory', '', { conversationId: 'test:group:1', isDirect: false }));
    expect(cairn.adapter.texts().at(-1)).toContain('direct message');

    await cairn.gateway.receive(command(cairn, 'forget', String(bobs.id)));
    expect(cairn.adapter.texts().at(-1)).toBe(`You have no note ${bobs.id}. /memory lists your notes with their ids.`);
    expect(cairn.notes.store.list('test:bob')).toHaveLength(1);
    await cairn.gateway.receive(command(cairn, 'forget', String(tabs.id)));
    expect(cairn.adapter.texts().at(-1)).toBe(`Deleted note ${tabs.id}.`);
    await cairn.gateway.receive(command(cairn, 'memory'));
    expect(cairn.adapter.texts().at(-1)).toContain('What I remember about you (1 note):');
    await cairn.gateway.receive(command(cairn, 'forget', 'all'));
    expect(cairn.adapter.texts().at(-1)).toBe("Deleted your one note. I won't keep notes from what you said before now.");
    expect(cairn.notes.store.list(ALICE)).toEqual([]);
    await cairn.gateway.receive(command(cairn, 'forget', 'yesterday'));
    expect(cairn.adapter.texts().at(-1)).toContain('/forget <id>');
  });

  it('/forget all also keeps the current conversation out of later notes', async () => {
    rig.server.setDefault(memoryReplies((transcript) => ({ notes: transcript.includes('tabs') ? [{ text: 'Alice likes tabs.', kind: 'preference' }] : [{ text: 'Alice likes tea.', kind: 'preference' }] })));
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('I like tabs'));
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(command(cairn, 'forget', 'all'));
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cairn.adapter.message('I like tea'));
    await cairn.gateway.receive(command(cairn, 'new'));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(ALICE).map((note) => note.text)).toEqual(['Alice likes tea.']);
  });
});

/**
 * A year of notes across time zones and embedding models. Ana talks to Cairn in Telegram DMs while
 * she travels between Lisbon, New York and Tokyo; the operator runs Cairn with CAIRN_TZ=Europe/Lisbon
 * on a server whose clock is UTC. She asks "what did I tell you yesterday?" in Tokyo, "notes from
 * yesterday" after midnight in a Lisbon summer, about days when the clocks change in New York, and
 * "what did we decide in December?" in January. Midway the operator turns embeddings on, later
 * changes the model (another size), the model behind the same name changes size, then the provider
 * changes, and at last embeddings are turned off. Every search still finds her notes, by the day as
 * she counts it, and the operator's `cairn memory` and `cairn doctor` say what they hold.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startFakeModelServer, type ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig, type FakeModelRig } from '../helpers/fake-model-rig.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';
import { keepOperatorVariables } from '../helpers/operator-folder.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const rig = useFakeModelRig();
keepOperatorVariables();
let embeddingsVariable: string | undefined;
beforeEach(() => void (embeddingsVariable = process.env.CAIRN_EMBEDDINGS_MODEL));
afterEach(() => {
  if (embeddingsVariable === undefined) delete process.env.CAIRN_EMBEDDINGS_MODEL;
  else process.env.CAIRN_EMBEDDINGS_MODEL = embeddingsVariable;
});

const ANA = 'telegram:1';
const DAY = 86_400_000;

/** Cairn on `dataDir`, Lisbon's clock, at `at`: Ana (Telegram user 1) in her DMs. */
function cairnAt(server: FakeModelRig, dataDir: string, at: number, env: Record<string, string> = {}) {
  const clock = new ManualClock(at);
  const config = testConfig(server.server.url, { TELEGRAM_ALLOWED_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'Europe/Lisbon', ...env }, dataDir);
  const cairn = server.startWith(config, { clock });
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  let n = 0;
  /**
   * Ana says `text`; the model answers with `calls` first (each a tool call), then "ok". What the model was
   * sent last. Replies are chosen by request: a conversation that ended meanwhile is condensed into notes
   * (none here) by requests of its own, which would take queued replies.
   */
  const say = async (text: string, ...calls: { name: string; arguments: Record<string, unknown> }[]) => {
    const steps = [...calls];
    let last: ChatBody | undefined;
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      if (String(body.messages?.[0]?.content ?? '').startsWith('You maintain long-term memory')) return { text: '{"notes": []}' };
      last = body;
      const call = steps.shift();
      return call ? { toolCalls: [call] } : { text: 'ok' };
    });
    await cairn.gateway.receive(telegram.message(text, { messageId: `m${++n}-${clock.now()}`, conversationId: 'telegram:1', senderId: '1', userId: ANA, userName: 'ana', isDirect: true }));
    const messages = (last?.messages ?? []) as { role: string; content: string }[];
    return { system: messages[0]?.content ?? '', toolResult: messages.at(-1)?.role === 'tool' ? (messages.at(-1)?.content ?? '') : '' };
  };
  return { cairn, clock, say };
}

const search = (args: Record<string, unknown>) => ({ name: 'memory_search', arguments: args });

/** `cairn …` on `dataDir` as the operator runs it, with Lisbon's clock and these variables. */
function operator(dataDir: string, url: string, env: Record<string, string | undefined> = {}) {
  return (...args: string[]) => {
    Object.assign(process.env, { CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: url, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key', CAIRN_TZ: 'Europe/Lisbon' });
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    return runCairnInProcess(...args);
  };
}

describe('Ana in Tokyo, with Cairn on Lisbon time', () => {
  it('"what did I tell you yesterday?" finds what she said the morning before, Tokyo\'s yesterday', async () => {
    // 08:00 on 10 March in Tokyo: still 23:00 on the 9th in Lisbon (UTC+0 in winter).
    const ana = cairnAt(rig, tempDir(), Date.UTC(2026, 2, 9, 23));
    await ana.say('remember the hotel in Shinjuku is booked until Friday', { name: 'memory_save', arguments: { text: 'The hotel in Shinjuku is booked until Friday.', kind: 'fact' } });
    // 08:30 on the 11th in Tokyo. The model asks the time where she is, and searches that day there.
    ana.clock.set(Date.UTC(2026, 2, 10, 23, 30));
    const asked = await ana.say("I'm in Tokyo. What did I tell you yesterday?", { name: 'current_time', arguments: { timeZone: 'Asia/Tokyo' } }, search({ since: '2026-03-10', until: '2026-03-10', timeZone: 'Asia/Tokyo' }));
    expect(asked.toolResult).toContain('The hotel in Shinjuku is booked until Friday.');
    expect(asked.toolResult).toContain('2026-03-10T08:00:00.000+09:00');
    // Without the zone it is Lisbon's 10 March, which began nine hours after hers.
    const inLisbon = await ana.say('and on Lisbon time?', search({ since: '2026-03-10', until: '2026-03-10' }));
    expect(inLisbon.toolResult).toBe('No notes match those filters.');
  });
});

describe('Ana in Lisbon in summer, after midnight', () => {
  it('is told the day it is in Lisbon, so "yesterday" is the day she means', async () => {
    // 00:30 on 15 July in Lisbon (UTC+1): 23:30 on the 14th on the server's clock.
    const ana = cairnAt(rig, tempDir(), Date.UTC(2026, 6, 14, 12));
    await ana.say('remember: the plumber comes on Friday', { name: 'memory_save', arguments: { text: 'The plumber comes on Friday.', kind: 'fact' } });
    ana.clock.set(Date.UTC(2026, 6, 14, 23, 30));
    const late = await ana.say('notes from yesterday?');
    expect(late.system).toContain('This session started on 2026-07-15 (Europe/Lisbon).');
  });
});

describe('Ana in New York on the days the clocks change', () => {
  it('finds the whole day, 23 hours in March and 25 in November, and none of the next', async () => {
    const ana = cairnAt(rig, tempDir(), Date.UTC(2026, 2, 1));
    const note = (text: string, at: number) => ana.cairn.notes.store.add(ANA, { text, kind: 'fact', origin: 'user', createdAt: at });
    // 00:30 and 23:30 in New York on 8 March (EST, then EDT) and on 1 November (EDT, then EST); 00:30 the day after each.
    note('Spring early: coffee with Sam.', Date.UTC(2026, 2, 8, 5, 30));
    note('Spring late: booked the Boston train.', Date.UTC(2026, 2, 9, 3, 30));
    note('Spring next day: dentist.', Date.UTC(2026, 2, 9, 4, 30));
    note('Autumn early: marathon bib collected.', Date.UTC(2026, 10, 1, 4, 30));
    note('Autumn late: marathon finished in 4:05.', Date.UTC(2026, 11 - 1, 2, 4, 30));
    note('Autumn next day: rest.', Date.UTC(2026, 10, 2, 5, 30));
    ana.clock.set(Date.UTC(2026, 10, 3, 15));
    const spring = await ana.say('what happened on 8 March?', search({ since: '2026-03-08', until: '2026-03-08', timeZone: 'America/New_York' }));
    expect(spring.toolResult).toContain('Spring early');
    expect(spring.toolResult).toContain('Spring late');
    expect(spring.toolResult).not.toContain('Spring next day');
    const autumn = await ana.say('and on 1 November?', search({ since: '2026-11-01', until: '2026-11-01', timeZone: 'America/New_York' }));
    expect(autumn.toolResult).toContain('Autumn early');
    expect(autumn.toolResult).toContain('Autumn late');
    expect(autumn.toolResult).not.toContain('Autumn next day');
  });
});

describe('Ana in January, about December', () => {
  it('"what did we decide in December?" lists December though no note says "decide", up to New Year\'s Eve at 23:30', async () => {
    const ana = cairnAt(rig, tempDir(), Date.UTC(2026, 11, 1));
    const note = (text: string, at: number) => ana.cairn.notes.store.add(ANA, { text, kind: 'decision', origin: 'user', createdAt: at });
    note('Chose the blue tiles for the kitchen.', Date.UTC(2026, 11, 3, 10));
    note('Going with the cheaper movers in February.', Date.UTC(2026, 11, 31, 23, 30));
    note('New year: gym three times a week.', Date.UTC(2027, 0, 1, 0, 30));
    ana.clock.set(Date.UTC(2027, 0, 20, 10));
    const december = await ana.say('what did we decide in December?', search({ query: 'decide', since: '2026-12-01', until: '2026-12-31' }));
    expect(december.toolResult).toContain('Chose the blue tiles');
    expect(december.toolResult).toContain('cheaper movers');
    expect(december.toolResult).not.toContain('gym');
    expect(december.toolResult).toContain('None of the notes from then hold the words');
  });
});

describe('the operator changes the embeddings over the year', () => {
  it('turns them on, changes the model, sees its size change, moves provider, turns them off: search finds her notes all along', async () => {
    const dataDir = tempDir();
    const t0 = Date.UTC(2026, 0, 5, 9);
    let ana = cairnAt(rig, dataDir, t0);
    // Months of notes, keyword search only; the newest a week before the operator turns embeddings on.
    for (let i = 0; i < 600; i++) ana.cairn.notes.store.add(ANA, { text: `Closed ticket ${i} of the migration.`, kind: 'fact', origin: 'model', createdAt: t0 + i * 6 * 60 * 60_000 });
    const newest = ana.cairn.notes.store.add(ANA, { text: 'We decided to rent the flat in Alfama.', kind: 'decision', origin: 'user', createdAt: t0 + 160 * DAY });
    await ana.cairn.close();
    const vectors = () => ana.cairn.notes.store.db.prepare('SELECT model, length(vector) / 4 AS size, count(*) AS notes FROM note_embeddings GROUP BY 1, 2 ORDER BY 1, 2').all();
    const hasVector = (id: number) => ana.cairn.notes.store.db.prepare('SELECT model FROM note_embeddings WHERE note_id = ?').pluck().get(id);
    rig.server.setEmbeddingDimensions({ 'embed-small': 32, 'embed-large': 96 });

    // On: the first search embeds 512 notes, the newest first; the others are found by their words meanwhile.
    ana = cairnAt(rig, dataDir, t0 + 167 * DAY, { CAIRN_EMBEDDINGS_MODEL: 'embed-small' });
    expect((await ana.say('where did we decide to live?', search({ query: 'flat Alfama' }))).toolResult).toContain('Alfama');
    expect(vectors()).toEqual([{ model: 'embed-small', size: 32, notes: 512 }]);
    expect(hasVector(newest.id)).toBe('embed-small');
    expect(hasVector(1)).toBeUndefined();
    expect((await ana.say('ticket 3?', search({ query: 'ticket 3' }))).toolResult).toContain('Closed ticket 3 of the migration.');
    await ana.cairn.close();

    // Another model, another size: embedded again by the searches, never compared across sizes.
    ana = cairnAt(rig, dataDir, t0 + 200 * DAY, { CAIRN_EMBEDDINGS_MODEL: 'embed-large' });
    expect((await ana.say('the flat?', search({ query: 'flat Alfama' }))).toolResult).toContain('Alfama');
    expect(hasVector(newest.id)).toBe('embed-large');
    await ana.cairn.close();

    // The model behind the same name now gives 48 numbers (an alias moved): its vectors of 96 go, and are made again
    // (the 89 notes that had none of embed-large were embedded before the query showed the new size; then 512 more).
    rig.server.setEmbeddingDimensions({ 'embed-small': 32, 'embed-large': 48 });
    ana = cairnAt(rig, dataDir, t0 + 230 * DAY, { CAIRN_EMBEDDINGS_MODEL: 'embed-large' });
    expect((await ana.say('the flat?', search({ query: 'flat Alfama' }))).toolResult).toContain('Alfama');
    expect(vectors().filter((row) => (row as { model: string }).model === 'embed-large')).toEqual([{ model: 'embed-large', size: 48, notes: 601 }]);
    await ana.cairn.close();

    // Another provider: the operator's `cairn memory search` embeds with it; --json gives UTC times, the text Lisbon's days.
    const other = await startFakeModelServer();
    try {
      other.setEmbeddingDimensions({ 'embed-other': 24 });
      const cli = operator(dataDir, other.url, { CAIRN_EMBEDDINGS_MODEL: 'embed-other' });
      const json = JSON.parse((await cli('memory', 'search', '--user', ANA, '--json', '--since', '2026-06-14', '--until', '2026-06-14', 'flat Alfama'))[0] ?? '[]') as { text: string; created_at: string }[];
      expect(json.map((hit) => [hit.text, hit.created_at])).toEqual([['We decided to rent the flat in Alfama.', '2026-06-14T09:00:00.000Z']]);
      expect(other.requests.some((r) => r.path.endsWith('/embeddings'))).toBe(true);
      const doctor = await cli('doctor');
      expect(doctor.find((line) => line.startsWith('✓ embeddings: embed-other'))).toMatch(/\(24 dimensions\)$/);
      // The notes the CLI's search left without a vector of embed-other, which the next searches embed.
      expect(doctor).toContain(
        "✓ note vectors: 89 of 601 notes (of one person) have no vector from embed-other (24 dimensions) yet: embeddings were just turned on, or the model or its size changed. Nothing to do: each person's searches embed theirs, up to 512 at a time, newest first; until then those notes are found by their words only.",
      );
    } finally {
      await other.close();
    }

    // Off: keywords only, the vectors kept for a later return; a period still lists its notes.
    ana = cairnAt(rig, dataDir, t0 + 300 * DAY);
    const embeddingCalls = rig.server.requests.filter((r) => r.path.endsWith('/embeddings')).length;
    expect((await ana.say('the flat?', search({ query: 'flat Alfama' }))).toolResult).toContain('Alfama');
    expect((await ana.say('what did we choose in June?', search({ query: 'choose', since: '2026-06-01', until: '2026-06-30' }))).toolResult).toContain('Alfama');
    expect(rig.server.requests.filter((r) => r.path.endsWith('/embeddings'))).toHaveLength(embeddingCalls);
  });
});

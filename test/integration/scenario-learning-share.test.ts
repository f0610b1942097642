/**
 * A busy group shares one daily learning budget (CAIRN_LEARNING_DAILY_TOKENS). One member, Ann, runs task
 * after task that fails (each reflected on, some thousands of tokens each); Bob, in the same group, asks
 * once later in the day. Before CAIRN_LEARNING_PERSON_SHARE, Ann's flood spent the whole budget and Bob's
 * failing task was not reflected on until midnight UTC. Now the reflections on one person's tasks use at
 * most their share (a quarter by default): Ann's stop with a log line saying so, Bob's goes on, audits are
 * not held by Ann's share, and neither her allowance nor `cairn usage` counts Cairn's reflections as hers.
 * A person with linked accounts has one share, whichever account asks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { startWorld, dm, link, type World } from '../helpers/linking-world.js';
import { createLogger } from '../../src/core/logger.js';
import { NO_CHANGE } from '../learning/helpers.js';

const GROUP = 'test:group:ops';
const BUDGET = 8_000;

let model: FakeModelServer | undefined;
let cairn: TestCairn | undefined;
let world: World | undefined;
afterEach(async () => {
  await cairn?.close();
  await world?.cairn.close();
  await model?.close();
  cairn = world = model = undefined;
});

/** Whose tasks the model was asked to reflect on, in order (by the words of the request). */
async function failingModel(): Promise<{ server: FakeModelServer; reflectedOn: string[] }> {
  const server = await startFakeModelServer();
  const reflectedOn: string[] = [];
  server.setDefault((request: RecordedRequest) => {
    const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
    if (messages[0]?.content.startsWith('You review a task')) {
      reflectedOn.push(/The user asked:\n(\S+)/.exec(messages[1]?.content ?? '')?.[1] ?? '?');
      return { text: JSON.stringify({ ...NO_CHANGE, outcome: 'failure' }) };
    }
    return messages.at(-1)?.role === 'tool' ? { text: 'it did not work' } : { toolCalls: [{ name: 'broken', arguments: {} }] };
  });
  return { server, reflectedOn };
}

function start(env: Record<string, string>, log: Record<string, unknown>[] = []): TestCairn {
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  const started = startTestCairn(testConfig((model as FakeModelServer).url, { CAIRN_LEARNING_DAILY_TOKENS: String(BUDGET), CAIRN_AUDIT_EVERY: '0', ...env }), { logger });
  started.tools.register({ name: 'broken', description: 'always fails', parameters: z.object({}), execute: () => Promise.reject(new Error('down')) });
  return started;
}

async function ask(on: TestCairn, who: string, text: string): Promise<void> {
  await on.gateway.receive(on.adapter.message(text, { conversationId: GROUP, userId: `test:${who}`, senderId: who }));
  await on.learning.idle();
}

describe('one daily learning budget in a busy group', () => {
  it("one member's flood of failing tasks spends their share, and another member's task is still reflected on", async () => {
    const scripted = await failingModel();
    model = scripted.server;
    const log: Record<string, unknown>[] = [];
    cairn = start({}, log);
    // Some 600 tokens a reflection here: 20 of them would spend the whole budget.
    for (let i = 1; i <= 20; i++) await ask(cairn, 'ann', `ann-${i}`);
    const annReflections = scripted.reflectedOn.filter((words) => words.startsWith('ann-')).length;
    expect(annReflections).toBeGreaterThan(0);
    expect(annReflections).toBeLessThan(20);
    const share = BUDGET * 0.25;
    const { budget } = cairn.learning;
    const spent = budget.usedTodayBy('test:ann');
    const each = spent / annReflections;
    // The reflection that crosses the line finishes; none starts past it.
    expect(spent).toBeGreaterThanOrEqual(share - each);
    expect(spent).toBeLessThan(share + each);
    expect(budget.exhausted()).toBe(false);
    const skip = log.find((line) => line.msg === "reflection skipped: the person's share of the daily learning budget is spent");
    expect(skip).toMatchObject({ userId: 'test:ann', share });
    expect(log.some((line) => line.msg === 'reflection skipped: the daily learning budget is spent')).toBe(false);

    await ask(cairn, 'bob', 'bob-1');
    expect(scripted.reflectedOn.at(-1)).toBe('bob-1');
    expect(cairn.learning.tasks.lastInConversationBy(GROUP, 'test:bob')?.reflected).toBe(true);
  });

  it("an audit's reflection is not held by the share of the person whose task it shows", async () => {
    const scripted = await failingModel();
    model = scripted.server;
    cairn = start({ CAIRN_LEARNING_PERSON_SHARE: '0.1' });
    for (let i = 1; i <= 4; i++) await ask(cairn, 'ann', `ann-${i}`);
    const task = cairn.learning.tasks.lastInConversationBy(GROUP, 'test:ann');
    if (!task) throw new Error('no task of Ann');
    expect(cairn.learning.budget.personShareSpent('test:ann')).toBe(true);
    expect(await cairn.learning.reflector.reflect(task, 'The skill fails.', 'person')).toMatchObject({ skipped: expect.stringContaining('CAIRN_LEARNING_PERSON_SHARE') });
    expect(await cairn.learning.reflector.reflect(task, 'The skill fails.', 'audit')).not.toHaveProperty('skipped');
  });

  it("does not count Cairn's reflections toward the person's own allowance, nor as theirs in `cairn usage`", async () => {
    const scripted = await failingModel();
    model = scripted.server;
    cairn = start({});
    await ask(cairn, 'ann', 'ann-1');
    expect(scripted.reflectedOn).toEqual(['ann-1']);
    const reflected = cairn.learning.budget.usedTodayBy('test:ann');
    expect(reflected).toBeGreaterThan(0);
    const all = cairn.ledger.totals(0);
    const own = cairn.ledger.userTotals('test:ann', 0).tokens;
    expect(own + reflected).toBe(all.promptTokens + all.completionTokens);
    const rows = cairn.ledger.byPerson(0);
    expect(rows.find((row) => row.user === 'test:ann')?.tokens).toBe(own);
    expect(rows.find((row) => row.user === null)?.tokens).toBe(reflected);
  });

  it('turns the limit off with a share of 1: the flood spends the whole budget, as before', async () => {
    const scripted = await failingModel();
    model = scripted.server;
    cairn = start({ CAIRN_LEARNING_PERSON_SHARE: '1' });
    expect(cairn.learning.budget.personLimit()).toBeUndefined();
    for (let i = 1; i <= 30 && !cairn.learning.budget.exhausted(); i++) await ask(cairn, 'ann', `ann-${i}`);
    expect(cairn.learning.budget.exhausted()).toBe(true);
    expect(cairn.learning.budget.personShareSpent('test:ann')).toBe(false);
  });

  it('gives linked accounts one share: the person cannot spend a share from each account', async () => {
    const scripted = await failingModel();
    model = scripted.server;
    world = startWorld(model, { CAIRN_REFLECTION: 'auto', CAIRN_LEARNING_DAILY_TOKENS: String(BUDGET), CAIRN_AUDIT_EVERY: '0' });
    world.cairn.tools.register({ name: 'broken', description: 'always fails', parameters: z.object({}), execute: () => Promise.reject(new Error('down')) });
    const { telegram, slack } = world;
    // Two reflections on the Telegram account before the link: recorded under it, then moved to the person by /link.
    for (let i = 1; i <= 2; i++) {
      await world.cairn.gateway.receive(dm(telegram, '100', `tg-${i}`));
      await world.cairn.learning.idle();
    }
    await link(world, [slack, 'U1'], [telegram, '100']);
    const person = world.cairn.access.personOf('telegram:100');
    expect(person).toBe('slack:U1');
    const before = world.cairn.learning.budget.usedTodayBy(person);
    expect(before).toBeGreaterThan(0);
    for (let i = 1; i <= 10; i++) {
      const [adapter, id] = i % 2 ? [slack, 'U1'] : [telegram, '100'];
      await world.cairn.gateway.receive(dm(adapter, id, `${adapter.platform}-more-${i}`));
      await world.cairn.learning.idle();
    }
    const reflections = scripted.reflectedOn.length;
    expect(reflections).toBeLessThan(12);
    // One share for the two accounts together (the crossing reflection finishes), not one each.
    expect(world.cairn.learning.budget.usedTodayBy(person)).toBeLessThan(BUDGET * 0.25 + before);
    expect(world.cairn.learning.budget.usedTodayBy('telegram:100')).toBe(0);
  });
});

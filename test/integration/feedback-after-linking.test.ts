/**
 * Feedback after `/link` and `/unlink`: the answers given before it are still the person's to
 * judge, typed (`/feedback`) or as a reaction, as they are without linking.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { cmd, dm, link, startWorld, until, type World } from '../helpers/linking-world.js';
import type { RecordingAdapter } from '../helpers/recording-adapter.js';

let model: FakeModelServer;
let world: World;

beforeEach(async () => {
  model = await startFakeModelServer();
  model.setDefault(() => ({ text: 'ok' }));
});
afterEach(async () => {
  await world.cairn.close();
  await model.close();
});

const THANKS = "Thanks for telling me. I'll look at what went wrong and do better next time.";
const inChannel = (slack: RecordingAdapter, senderId: string, text: string, extra = {}) =>
  slack.message(text, { senderId, userId: `slack:${senderId}`, conversationId: 'slack:T1:C1', isDirect: false, addressed: true, ...extra });
const verdicts = (w: World) => w.cairn.learning.tasks.recent(10).map((task) => [task.userId, task.request, task.feedback]);

describe('feedback after linking', () => {
  it('/feedback right after /link judges the answer the account got just before', async () => {
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'what is 2+2?'))).toBe('turn');
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'feedback', 'bad wrong'));
    expect(slack.texts().at(-1)).toBe(THANKS);
    expect(verdicts(world)).toEqual([['telegram:100', 'what is 2+2?', 'bad']]);
  });

  it('/feedback after /link judges an answer that used tools (a task already) given before it', async () => {
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is noon.' });
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'what time is it?'))).toBe('turn');
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'feedback', 'bad'));
    expect(slack.texts().at(-1)).toBe(THANKS);
    expect(verdicts(world)).toEqual([['telegram:100', 'what time is it?', 'bad']]);
  });

  it("a reaction in a group after /link, on one's own answer from before, is taken", async () => {
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    expect(await cairn.gateway.receive(inChannel(slack, 'U1', '@Cairn capital of Peru?', { messageId: 'ask-1' }))).toBe('turn');
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(inChannel(slack, 'U1', '/feedback bad', { command: { name: 'feedback', args: 'bad' }, feedbackOn: 'ask-1' }));
    expect(verdicts(world)).toEqual([['telegram:100', '@Cairn capital of Peru?', 'bad']]);
  });

  it('/feedback after /link judges the answer of a turn that was still running when the account was linked', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    model.enqueue({ after: gate, then: { text: 'Lima.' } });
    const turn = cairn.gateway.receive(inChannel(slack, 'U1', '@Cairn capital of Peru?'));
    await until(() => model.chatRequests().length >= 1);
    await link(world, [telegram, '100'], [slack, 'U1']);
    release();
    expect(await turn).toBe('turn');
    await cairn.gateway.receive(inChannel(slack, 'U1', '/feedback bad', { command: { name: 'feedback', args: 'bad' } }));
    expect(slack.texts().at(-1)).toBe(THANKS);
    expect(verdicts(world)).toEqual([['telegram:100', '@Cairn capital of Peru?', 'bad']]);
  });

  it("two accounts of one person in one channel: /feedback after /link judges the person's latest answer there", async () => {
    world = startWorld(model, { SLACK_ALLOWED_USERS: 'U1,U2' });
    const { cairn, slack } = world;
    await cairn.gateway.receive(inChannel(slack, 'U1', '@Cairn capital of Peru?'));
    cairn.manualClock.advance(60_000);
    await cairn.gateway.receive(inChannel(slack, 'U2', '@Cairn capital of Chile?'));
    // U1 joins U2: its older answer must not pass for the latest.
    await link(world, [slack, 'U2'], [slack, 'U1']);
    await cairn.gateway.receive(inChannel(slack, 'U1', '/feedback good', { command: { name: 'feedback', args: 'good' } }));
    expect(verdicts(world)).toEqual([['slack:U2', '@Cairn capital of Chile?', 'good']]);
  });

  it('two accounts of one person in one channel: a later answer that used tools outranks the older plain one of the account that joined', async () => {
    world = startWorld(model, { SLACK_ALLOWED_USERS: 'U1,U2' });
    const { cairn, slack } = world;
    await cairn.gateway.receive(inChannel(slack, 'U1', '@Cairn capital of Peru?'));
    cairn.manualClock.advance(60_000);
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is noon.' });
    await cairn.gateway.receive(inChannel(slack, 'U2', '@Cairn what time is it?'));
    await link(world, [slack, 'U2'], [slack, 'U1']);
    await cairn.gateway.receive(inChannel(slack, 'U1', '/feedback good', { command: { name: 'feedback', args: 'good' } }));
    expect(verdicts(world)).toEqual([['slack:U2', '@Cairn what time is it?', 'good']]);
  });

  it('/feedback after /unlink judges the answer the account got while linked', async () => {
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'what is 2+2?'))).toBe('turn');
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    expect(slack.texts().at(-1)).toContain('no longer linked');
    await cairn.gateway.receive(cmd(slack, 'U1', 'feedback', 'bad'));
    expect(slack.texts().at(-1)).toBe(THANKS);
    expect(verdicts(world)).toEqual([['slack:U1', 'what is 2+2?', 'bad']]);
  });
});

/**
 * "Ask Cairn" (a message shortcut) works in any channel, also one Cairn has not joined, where
 * Slack refuses its post (not_in_channel; channel_not_found for a private one): the answer was
 * lost without a word. It goes to the asker alone through the shortcut's response_url instead,
 * first saying why and how to have Cairn answer in the thread. So does the answer to a press of
 * a button there (Deny under an approval request /cairn asked in such a channel).
 */
import { afterEach, expect, it } from 'vitest';
import { setup, until, type Intercept, type Setup } from './slack-lifecycle-harness.js';
import { interceptedBody } from '../fakes/slack-api.js';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** Slack refuses posts (and drafts) in a channel Cairn has not joined. */
const notIn = (channel: string, refused: string[], error = 'not_in_channel'): Intercept => (method, raw) => {
  if (method !== 'chat.postMessage' || interceptedBody(raw).channel !== channel) return undefined;
  refused.push(String(interceptedBody(raw).text));
  return { ok: false, error };
};

for (const error of ['not_in_channel', 'channel_not_found']) {
  it(`answers "Ask Cairn" in a channel Cairn is not in (${error}) to the asker alone, and says how to have it answer there`, async () => {
    const refused: string[] = [];
    s = await setup({ intercept: notIn('C9', refused, error) });
    s.model.enqueue({ text: 'Yes, the numbers add up.' });
    const message = { ts: '1600000500.000100', user: 'U2', text: 'are these right?' };
    expect(await s.events.askAbout({ message, channel: 'C9' })).toBe(200);
    await until(() => s!.slack.posts.length >= 1, 'the answer');
    expect(refused.length).toBeGreaterThan(0);
    expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'C9', via: 'response_url', responseType: 'ephemeral' })]);
    const [answer] = s.slack.posts;
    expect(answer?.text).toContain('Yes, the numbers add up.');
    expect(answer?.text).toMatch(/\/invite/);
  });
}

it('answers privately a streamed answer whose draft was refused, without trying the channel again', async () => {
  const refused: string[] = [];
  s = await setup({ intercept: notIn('C9', refused) });
  let go: () => void = () => {};
  s.model.enqueue({ stream: ['Yes', new Promise<void>((resolve) => (go = resolve)), ', they add up.'] });
  expect(await s.events.askAbout({ message: { ts: '1600000500.000100', user: 'U2', text: 'right?' }, channel: 'C9' })).toBe(200);
  (await s.timers.next(1_500)).fire();
  await until(() => refused.length === 1, 'the refused draft');
  go();
  await until(() => s!.slack.posts.length >= 1, 'the answer');
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'C9', via: 'response_url', responseType: 'ephemeral', text: expect.stringMatching(/not a member of this channel[\s\S]*Yes, they add up\.$/) })]);
  expect(refused).toEqual(['Yes']);
});

it('still answers "Ask Cairn" in the thread where Cairn is in the channel', async () => {
  s = await setup();
  s.model.enqueue({ text: 'Yes.' });
  expect(await s.events.askAbout({ message: { ts: '1600000500.000100', user: 'U2', text: 'right?' }, channel: 'C1' })).toBe(200);
  await until(() => s!.slack.posts.length >= 1, 'the answer');
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'C1', threadTs: '1600000500.000100', via: 'chat.postMessage', text: 'Yes.' })]);
});

it("answers a press of Deny under /cairn's approval request in a channel Cairn is not in to the one who pressed", async () => {
  const refused: string[] = [];
  s = await setup({ intercept: notIn('C9', refused), env: { SLACK_ADMIN_USERS: 'U1', CAIRN_REFLECTION: 'off' } });
  s.model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
  // /cairn works in any channel: its answers go through the response_url.
  expect(await s.events.slash({ text: 'install it the quick way', channel: 'C9' })).toBe(200);
  await until(() => s!.slack.posts.length >= 1, 'the approval request');
  const [question] = s.slack.posts;
  const id = /\/approve (\w+)/.exec(question?.text ?? '')?.[1] ?? '';
  expect(await s.events.press({ value: `/deny ${id}`, channel: 'C9', messageTs: question?.ts ?? '' })).toBe(200);
  await until(() => s!.slack.posts.length >= 3, 'the denial and the answer');
  expect(s.slack.posts.slice(1).map((post) => [post.via, post.responseType, post.text])).toEqual(
    expect.arrayContaining([
      ['response_url', 'ephemeral', expect.stringMatching(new RegExp(`not a member of this channel[\\s\\S]*Denied ${id}: the command will not run\\.$`))],
      ['response_url', 'in_channel', 'Left it alone.'],
    ]),
  );
  expect(refused).toEqual([`Denied ${id}: the command will not run.`]);
});

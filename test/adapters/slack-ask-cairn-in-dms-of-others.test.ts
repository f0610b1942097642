/**
 * "Ask Cairn" (the message shortcut) works on a message in any DM, one between two people that
 * Cairn is no member of too, where Cairn cannot post (channel_not_found): it was answered there
 * with chat.postMessage, so the asker got nothing, and it shared one conversation with the other
 * person's "Ask Cairn" there. It is answered as /cairn is there: to the asker alone (ephemeral,
 * through the shortcut's response_url; without one, in their own DM with Cairn), in the asker's
 * own conversation of that DM, the one their /cairn there has.
 */
import { afterEach, expect, it } from 'vitest';
import { setup, until, SIGNING_SECRET, type Intercept, type Setup } from './slack-lifecycle-harness.js';
import { interceptedBody, signSlackRequest } from '../fakes/slack-api.js';

let s: Setup | undefined;
/** The channel of each chat.postMessage call (those the proxy answers never reach the fake). */
let postedTo: string[] = [];
afterEach(async () => {
  postedTo = [];
  await s?.close();
  s = undefined;
});

/** As Slack: no post into a DM Cairn is not in; a post to a user's id lands in their DM with Cairn, which Slack names. */
const slackRefusesDmOfOthers: Intercept = (method, raw) => {
  if (method !== 'chat.postMessage') return undefined;
  const channel = String(interceptedBody(raw).channel);
  postedTo.push(channel);
  if (channel === 'D_ADA_BO') return { ok: false, error: 'channel_not_found' };
  if (channel === 'U1') return { ok: true, channel: 'D1', ts: '1700000900.000001' };
  return undefined;
};

/** Bo's message in his DM with Ada (D_ADA_BO; D1 is Ada's DM with Cairn). */
const BOS_MESSAGE = { ts: '1600000500.000100', user: 'U2', text: 'my salary is 90k, is that fair?' };

async function started(): Promise<Setup> {
  return setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2' }, intercept: slackRefusesDmOfOthers });
}

it('answers Ada alone, ephemerally, when she uses Ask Cairn on a message in her DM with Bo', async () => {
  s = await started();
  s.model.enqueue({ text: 'It is within the usual range.' });
  expect(await s.events.askAbout({ message: BOS_MESSAGE, channel: 'D_ADA_BO', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length > 0 || postedTo.length > 0, 'an answer');
  expect(postedTo).toEqual([]);
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'D_ADA_BO', via: 'response_url', responseType: 'ephemeral', text: 'It is within the usual range.' })]);
  expect(s.slack.reactionsAdded).toEqual([]);
});

it("keeps Ada's Ask Cairn exchange there out of Bo's, and in her own /cairn conversation there", async () => {
  s = await started();
  s.model.enqueue({ text: 'It is within the usual range.' }, { text: 'I cannot tell.' }, { text: 'About his salary.' });
  // On a reply in a thread of the DM: still her conversation of the whole DM (the answer is in no thread).
  expect(await s.events.askAbout({ message: { ...BOS_MESSAGE, thread_ts: '1600000400.000100' }, channel: 'D_ADA_BO', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length === 1, "Ada's answer");
  expect(await s.events.askAbout({ message: { ts: '1600000600.000100', user: 'U1', text: 'ok, thanks' }, channel: 'D_ADA_BO', user: 'U2' })).toBe(200);
  await until(() => s!.slack.posts.length === 2, "Bo's answer");
  expect(await s.events.slash({ text: 'what did I just ask you about?', channel: 'D_ADA_BO', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length === 3, "Ada's follow-up");
  const [, bos, adas] = s.model.chatRequests();
  expect(JSON.stringify(bos)).not.toMatch(/salary|usual range/);
  expect(JSON.stringify(adas)).toMatch(/usual range/);
  expect(s.slack.posts.map((post) => post.responseType)).toEqual(['ephemeral', 'ephemeral', 'ephemeral']);
  expect(postedTo).toEqual([]);
});

it("answers in Ada's own DM with Cairn where the shortcut brings no response_url", async () => {
  s = await started();
  s.model.enqueue({ text: 'It is within the usual range.' });
  const payload = {
    type: 'message_action',
    callback_id: 'ask_cairn',
    trigger_id: 'trigger-no-url',
    action_ts: '1600000600.000002',
    user: { id: 'U1', username: 'ada', team_id: s.slack.teamId },
    team: { id: s.slack.teamId, domain: 'fake' },
    channel: { id: 'D_ADA_BO', name: 'directmessage' },
    message: { type: 'message', ...BOS_MESSAGE },
    token: 'legacy-verification-token',
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  expect(await s.events.raw(body, { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SIGNING_SECRET, body) })).toBe(200);
  await until(() => postedTo.length > 0, 'an answer');
  expect(postedTo).toEqual(['U1']);
  expect(s.slack.posts).toEqual([]);
});

it("still answers Ask Cairn in Cairn's own DM with the asker in place, as a direct chat", async () => {
  s = await started();
  s.model.enqueue({ text: 'Yes.' });
  expect(await s.events.askAbout({ message: { ts: '1600000700.000100', user: 'U1', text: 'is this right?' }, channel: 'D1', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length > 0, 'an answer');
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'D1', via: 'chat.postMessage', text: 'Yes.' })]);
  expect(s.slack.posts[0]?.threadTs).toBeUndefined();
});

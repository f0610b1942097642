/**
 * /cairn can be run in any conversation, a DM between two people included: Slack sends it
 * with channel_name "directmessage" and a D… id whether or not the DM is Cairn's own. Only in
 * Cairn's own DM with the asker is the command direct; in a DM of others it is answered to the
 * asker alone (ephemeral), so the other person never reads a /link code, with which anyone
 * "becomes" the asker and reads their notes.
 */
import { afterEach, expect, it } from 'vitest';
import { setup, until, type Setup } from './slack-lifecycle-harness.js';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

it('does not show a /link code to the other person when /cairn link is run in a DM between two people', async () => {
  s = await setup();
  // D_ADA_BO: Ada's DM with Bo (Cairn is no member). D1 is Ada's DM with Cairn.
  expect(await s.events.slash({ text: 'link', channel: 'D_ADA_BO', channelName: 'directmessage', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length > 0, 'an answer to /cairn link');
  const seenByBoth = s.slack.posts.filter((post) => post.channel === 'D_ADA_BO' && post.responseType !== 'ephemeral');
  // Whoever reads the DM may redeem the code and become Ada to Cairn.
  expect(seenByBoth.map((post) => post.text).join('\n')).not.toMatch(/link code is/i);
  // Ada alone is told where to ask.
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'D_ADA_BO', responseType: 'ephemeral', text: expect.stringMatching(/only give link codes in a direct message/) })]);
});

it("gives the /link code in Cairn's own DM with the asker, looking the DM up once", async () => {
  s = await setup();
  expect(await s.events.slash({ text: 'link', channel: 'D1', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length > 0, 'an answer to /cairn link');
  expect(s.slack.posts[0]).toMatchObject({ channel: 'D1', responseType: 'in_channel', text: expect.stringMatching(/^Your link code is/) });
  expect(await s.events.slash({ text: 'help', channel: 'D1', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length > 1, 'an answer to /cairn help');
  expect(s.slack.posts[1]).toMatchObject({ channel: 'D1', responseType: 'in_channel' });
  expect(s.slack.callsTo('conversations.history').map((call) => call.body.channel)).toEqual(['D1']);
});

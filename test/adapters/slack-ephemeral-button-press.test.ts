/**
 * Buttons under a private (ephemeral) answer: /cairn or "Ask Cairn" in a DM between two people is
 * answered to the asker alone, its approval request with Approve/Deny too. Slack sends a press
 * there with `container.is_ephemeral: true` and no `message`; such a press was dropped, so the
 * approval waited until it timed out. It acts in the asker's own conversation there, answered to
 * them alone through the press's response_url (Cairn is no member of that DM).
 */
import { afterEach, expect, it } from 'vitest';
import { setup, until, SIGNING_SECRET, type Setup } from './slack-lifecycle-harness.js';
import { signSlackRequest } from '../fakes/slack-api.js';
import { normalizeButtonPress } from '../../adapters/slack/interactions.js';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** A press of a button on an ephemeral message, as Slack sends it: the container says is_ephemeral, and there is no `message`. */
async function pressEphemeral(w: Setup, options: { value: string; channel: string; messageTs: string; user: string }): Promise<number> {
  const payload = {
    type: 'block_actions',
    user: { id: options.user, username: 'ada', name: 'ada', team_id: w.slack.teamId },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: options.messageTs, channel_id: options.channel, is_ephemeral: true },
    trigger_id: 'trigger-eph-1',
    team: { id: w.slack.teamId, domain: 'fake' },
    channel: { id: options.channel, name: 'directmessage' },
    state: { values: {} },
    response_url: w.slack.responseUrl(options.channel),
    actions: [{ type: 'button', action_id: 'cairn_button_2', block_id: 'b1', text: { type: 'plain_text', text: 'Deny' }, value: options.value, action_ts: '1600000999.000001' }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return w.events.raw(body, { ...signSlackRequest(SIGNING_SECRET, body), 'content-type': 'application/x-www-form-urlencoded' });
}

it('acts on a press of Deny under an approval request Cairn answered privately (/cairn in a DM of others), privately', async () => {
  s = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2', SLACK_ADMIN_USERS: 'U1', CAIRN_REFLECTION: 'off' } });
  s.model.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Left it alone.' });
  expect(await s.events.slash({ text: 'install it the quick way', channel: 'D_ADA_BO', channelName: 'directmessage', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length >= 1, 'the approval request');
  const question = s.slack.posts[0]!;
  expect(question).toMatchObject({ channel: 'D_ADA_BO', responseType: 'ephemeral' });
  const id = /\/approve (\w+)/.exec(question.text)?.[1] ?? '';
  expect(question.buttons).toEqual([{ label: 'Approve', value: `/approve ${id}` }, { label: 'Deny', value: `/deny ${id}` }]);
  expect(await pressEphemeral(s, { value: `/deny ${id}`, channel: 'D_ADA_BO', messageTs: '1700000000.000777', user: 'U1' })).toBe(200);
  await until(() => s!.slack.posts.length >= 3, 'the denial and the answer');
  const later = s.slack.posts.slice(1);
  expect(later.map((post) => [post.channel, post.responseType, post.text])).toEqual(
    expect.arrayContaining([
      ['D_ADA_BO', 'ephemeral', `Denied ${id}: the command will not run.`],
      ['D_ADA_BO', 'ephemeral', 'Left it alone.'],
    ]),
  );
  // Nothing in the DM Bo reads, and nothing tried there through the Web API (Cairn is no member: channel_not_found).
  expect(s.slack.posts.filter((post) => post.responseType !== 'ephemeral')).toEqual([]);
  expect(s.slack.callsTo('chat.postMessage')).toEqual([]);
});

it("puts a press under an ephemeral message in the presser's own conversation of that DM, answered to them alone", () => {
  const bot = { teamId: 'T1', userId: 'UCAIRN', botId: 'BCAIRN' };
  const body = {
    type: 'block_actions',
    user: { id: 'U1', team_id: 'T1' },
    team: { id: 'T1' },
    channel: { id: 'D_ADA_BO' },
    container: { type: 'message', message_ts: '1700000000.000777', channel_id: 'D_ADA_BO', is_ephemeral: true },
    actions: [{ value: '/feedback good', action_ts: '1700000001.000001' }],
  };
  const normalized = normalizeButtonPress(body, { bot, channelSessions: 'thread', isCommand: () => true, now: new Date(0) });
  expect(normalized?.message).toMatchObject({ conversationId: 'slack:T1:D_ADA_BO:private-U1', isDirect: false, senderId: 'U1', command: { name: 'feedback', args: 'good' } });
  expect(normalized?.target).toEqual({ channel: 'D_ADA_BO', ephemeral: true, user: 'U1' });
});

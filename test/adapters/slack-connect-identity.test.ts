/**
 * In a Slack Connect channel the outer `team_id` of an event is the workspace that owns the
 * channel, not the one Cairn is installed in (authorizations[0].team_id; slackapi/bolt-js#935,
 * java-slack-sdk#629). A person's user id is built from their own workspace (`user_team`,
 * `team`), so a member of Cairn's workspace is one person in their DM, in a shared channel,
 * with a 👍 and with a button press.
 */
import { expect, it } from 'vitest';
import { normalizeEvent, normalizeReaction, type NormalizeOptions } from '../../adapters/slack/normalize.js';
import { normalizeButtonPress } from '../../adapters/slack/interactions.js';

const options: NormalizeOptions = { bot: { teamId: 'T_HOME', userId: 'UBOT', botId: 'BBOT' }, channelSessions: 'thread', isCommand: () => false, now: new Date(0) };
const authorizations = [{ team_id: 'T_HOME', enterprise_id: null, user_id: 'UBOT', is_bot: true }];

const dm = () =>
  normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'remember that I like tea', ts: '1700000001.000100', team: 'T_HOME' }, { team_id: 'T_HOME', event_id: 'Ev1', authorizations }, options);

it("gives a member of Cairn's workspace one identity in their DM and in a Slack Connect channel owned by another workspace", () => {
  // As Slack sends it (bolt-js#935): outer team_id is the channel's owner, event.team and authorizations are Cairn's workspace.
  const shared = normalizeEvent(
    { type: 'app_mention', channel: 'C_SHARED', user: 'U1', text: '<@UBOT> what do I like?', ts: '1700000002.000100', team: 'T_HOME' },
    { team_id: 'T_PARTNER', event_id: 'Ev2', is_ext_shared_channel: true, authorizations },
    options,
  );
  expect(dm()?.message.userId).toBe('slack:T_HOME:U1');
  expect(shared?.message.userId).toBe(dm()?.message.userId);
  // The conversation is named by Cairn's workspace (authorizations), not the channel owner's: the outer team_id varies by sender.
  expect(shared?.message.conversationId).toBe('slack:T_HOME:C_SHARED:1700000002.000100');
});

it("names a partner workspace's member by their own workspace (user_team), and their 👍 and button presses likewise", () => {
  const partner = normalizeEvent(
    { type: 'app_mention', channel: 'C_SHARED', user: 'W9', text: '<@UBOT> hi', ts: '1700000003.000100', team: 'T_PARTNER', user_team: 'T_PARTNER' },
    { team_id: 'T_HOME', event_id: 'Ev3', is_ext_shared_channel: true, authorizations },
    options,
  );
  expect(partner?.message.userId).toBe('slack:T_PARTNER:W9');
  const reply = { conversationId: 'slack:T_HOME:C_SHARED:1700000003.000100', answered: 'C_SHARED:1700000003.000100' };
  const reaction = normalizeReaction({ type: 'reaction_added', user: 'W9', user_team: 'T_PARTNER', reaction: '+1', item: { type: 'message', channel: 'C_SHARED', ts: '1700000004.000100' } }, options, () => reply);
  expect(reaction?.message.userId).toBe('slack:T_PARTNER:W9');
  const home = normalizeReaction({ type: 'reaction_added', user: 'U1', reaction: '+1', item: { type: 'message', channel: 'C_SHARED', ts: '1700000004.000100' } }, options, () => reply);
  expect(home?.message.userId).toBe(dm()?.message.userId);
  const press = normalizeButtonPress(
    { type: 'block_actions', user: { id: 'U1', team_id: 'T_HOME' }, team: { id: 'T_PARTNER' }, channel: { id: 'C_SHARED' }, message: { ts: '1700000004.000100' }, actions: [{ value: '/approve 1', action_ts: '1700000005.000100' }] },
    options,
  );
  expect(press?.message.userId).toBe(dm()?.message.userId);
});

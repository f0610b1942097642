/**
 * Cairn in a large Slack organisation, driven through the real Bolt over signed HTTP: a Slack
 * Connect channel owned by a partner workspace, and an Enterprise Grid org-wide install whose
 * events come from several workspaces. A thread is one conversation whoever speaks in it and
 * however (a mention, "Ask Cairn"), the operator's settings for Cairn's workspace hold in shared
 * channels too, and a member of the org is one person in their DM and in an org-wide channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { signSlackRequest, SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';

const SECRET = 'fake-signing-secret-0123456789';
const HOME_RULES = 'Answer as the ACME helpdesk.';

interface World {
  slack: FakeSlackApi;
  model: FakeModelServer;
  cairn: TestCairn;
  events: SlackEventSender;
  close(): Promise<void>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Cairn installed in workspace T1 (auth.test), with workspace-wide instructions for T1 in the config file. */
async function start(): Promise<World> {
  const model = await startFakeModelServer();
  const slack = await startFakeSlackApi();
  const config = testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: SECRET, SLACK_ALLOWED_USERS: 'U1,W1,W9' });
  const cairn = startTestCairn({ ...config, channels: { 'slack:T1': { instructions: HOME_RULES } } });
  const http = new HttpServer();
  const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
  cairn.gateway.attach(adapter);
  const port = await http.listen(0, '127.0.0.1');
  await adapter.start((message) => cairn.gateway.receive(message));
  const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SECRET, slack);
  const close = async () => {
    await adapter.stop();
    await http.close();
    await slack.close();
    await cairn.close();
    await model.close();
  };
  return { slack, model, cairn, events, close };
}

/** An event as Slack sends it, with the envelope's own fields (team_id, authorizations). */
async function post(w: World, envelope: Record<string, unknown>, event: Record<string, unknown>, eventId: string): Promise<void> {
  const body = JSON.stringify({ token: 'legacy-verification-token', api_app_id: 'A1', type: 'event_callback', event_id: eventId, event_time: 1_600_000_000, event, ...envelope });
  expect(await w.events.raw(body, signSlackRequest(SECRET, body))).toBe(200);
}

/** An interactive payload (a shortcut), form-encoded and signed as Slack sends it. */
async function interact(w: World, payload: Record<string, unknown>): Promise<void> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  expect(await w.events.raw(body, { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRET, body) })).toBe(200);
}

const conversations = (w: World) => w.cairn.db.prepare<[], { conversation_id: string }>('SELECT DISTINCT conversation_id FROM sessions ORDER BY conversation_id').all().map((row) => row.conversation_id);
const people = (w: World) => w.cairn.db.prepare<[], { user_id: string }>('SELECT DISTINCT user_id FROM sessions ORDER BY user_id').all().map((row) => row.user_id);
const systemOf = (w: World, index: number) => JSON.stringify((w.model.chatRequests()[index]?.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'system'));
const sent = (w: World, index: number) => JSON.stringify(w.model.chatRequests()[index]?.messages);

describe('a Slack Connect channel owned by a partner workspace', () => {
  it('keeps one conversation per thread whoever asks and however, under the settings of Cairn’s workspace', async () => {
    const w = (world = await start());
    const installed = { authorizations: [{ enterprise_id: null, team_id: 'T1', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }], is_ext_shared_channel: true };
    const root = '1700000001.000100';
    // A member of Cairn's workspace asks in the shared channel: the outer team_id is the partner's (bolt-js#935).
    w.model.enqueue({ text: 'Noted the codeword.' });
    await post(w, { team_id: 'T_PARTNER', ...installed }, { type: 'app_mention', channel: 'C_SHARED', user: 'U1', team: 'T1', text: '<@UBOT> the codeword is HERON', ts: root }, 'EvS1');
    await w.slack.waitForMessages(1, (p) => p.channel === 'C_SHARED');
    expect(systemOf(w, 0)).toContain(HOME_RULES);

    // The partner's member answers in the thread, then Ada asks Cairn about that answer (Ask Cairn: team is Cairn's workspace).
    w.model.enqueue({ text: 'Partner noted.' }, { text: 'It was HERON.' });
    await post(w, { team_id: 'T_PARTNER', ...installed }, { type: 'app_mention', channel: 'C_SHARED', user: 'W9', team: 'T_PARTNER', user_team: 'T_PARTNER', text: '<@UBOT> we agree', ts: '1700000002.000100', thread_ts: root }, 'EvS2');
    await w.slack.waitForMessages(2, (p) => p.channel === 'C_SHARED');
    await interact(w, {
      type: 'message_action', callback_id: 'ask_cairn', trigger_id: 'trigger-s3', action_ts: '1700000003.000002', token: 'legacy-verification-token',
      user: { id: 'U1', username: 'ada', team_id: 'T1' }, team: { id: 'T1', domain: 'acme' }, channel: { id: 'C_SHARED', name: 'shared' },
      message: { type: 'message', ts: '1700000002.000100', thread_ts: root, user: 'W9', text: 'which codeword did we agree on?' },
      response_url: w.slack.responseUrl('C_SHARED'),
    });
    await w.slack.waitForMessages(3, (p) => p.channel === 'C_SHARED');
    expect(sent(w, 2)).toContain('HERON');
    expect(conversations(w)).toEqual([`slack:T1:C_SHARED:${root}`]);
  });
});

describe('an Enterprise Grid org-wide install', () => {
  const orgWide = { enterprise_id: 'E1', authorizations: [{ enterprise_id: 'E1', team_id: null, user_id: 'UBOT', is_bot: true, is_enterprise_install: true }] };

  it('answers Ask Cairn in a second workspace in the thread’s own conversation', async () => {
    const w = (world = await start());
    const root = '1700000011.000100';
    w.model.enqueue({ text: 'Noted.' }, { text: 'It was OSPREY.' });
    await post(w, { team_id: 'T2', ...orgWide }, { type: 'app_mention', channel: 'C2', user: 'W1', team: 'T2', text: '<@UBOT> the codeword is OSPREY', ts: root }, 'EvG1');
    await w.slack.waitForMessages(1, (p) => p.channel === 'C2');
    // Org-wide installs get interactions with `team: null` (Bolt's buildSource); the user's workspace says where.
    await interact(w, {
      type: 'message_action', callback_id: 'ask_cairn', trigger_id: 'trigger-g2', action_ts: '1700000012.000002', token: 'legacy-verification-token', is_enterprise_install: true,
      user: { id: 'W1', username: 'ada', team_id: 'T2' }, team: null, enterprise: { id: 'E1', name: 'Acme' }, channel: { id: 'C2', name: 'eng' },
      message: { type: 'message', ts: '1700000011.000200', thread_ts: root, user: 'W1', text: 'what was the codeword?' },
      response_url: w.slack.responseUrl('C2'),
    });
    await w.slack.waitForMessages(2, (p) => p.channel === 'C2');
    expect(sent(w, 1)).toContain('OSPREY');
    expect(conversations(w)).toEqual([`slack:T2:C2:${root}`]);
  });

  it('knows a member of the org as one person in their DM and in a channel shared across the org', async () => {
    const w = (world = await start());
    const installed = { authorizations: [{ enterprise_id: 'E1', team_id: 'T1', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }] };
    w.model.enqueue({ text: 'Hi.' }, { text: 'Hi again.' });
    await post(w, { team_id: 'T1', ...installed }, { type: 'message', channel: 'D1', channel_type: 'im', user: 'W1', team: 'T1', text: 'hello', ts: '1700000021.000100' }, 'EvP1');
    await w.slack.waitForMessages(1, (p) => p.channel === 'D1');
    // In a channel shared among the org's workspaces Slack names the sender's org (E…) as user_team, not a workspace.
    await post(w, { team_id: 'T1', ...installed }, { type: 'app_mention', channel: 'C_ORG', user: 'W1', team: 'T1', user_team: 'E1', source_team: 'E1', text: '<@UBOT> hello', ts: '1700000022.000100' }, 'EvP2');
    await w.slack.waitForMessages(1, (p) => p.channel === 'C_ORG');
    expect(people(w)).toEqual(['slack:T1:W1']);
  });
});

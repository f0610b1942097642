/**
 * /cairn in a DM between two people (Cairn no member of it) is answered to whoever ran it alone
 * (ephemeral), so each of them has a conversation of their own there: shared, Bo's /cairn export
 * posted the transcript of Ada's private questions and answers into the DM both read, and the
 * model answered Bo with Ada's history. Files for such a conversation go to the asker's own DM
 * with Cairn (a file cannot be shared ephemerally), and the asker is told there where they went.
 */
import { afterEach, expect, it } from 'vitest';
import { setup, until, type Intercept, type Setup } from './slack-lifecycle-harness.js';
import { interceptedBody } from '../fakes/slack-api.js';
import { askerOnlyConversationId, parseConversationId } from '../../adapters/slack/normalize.js';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

type Seen = { channel: string; text?: string; responseType?: string; via: string; files?: { bytes: Uint8Array }[] };

/** Everything a post shows, its files' contents decoded. */
function shown(post: Seen): string {
  return [post.text ?? '', ...(post.files ?? []).map((file) => Buffer.from(file.bytes).toString())].join('\n');
}

/** What the other person in the DM can read: anything in it that is not ephemeral. */
function readableInDm(posts: readonly Seen[]): string {
  return posts.filter((post) => post.channel === 'D_ADA_BO' && post.responseType !== 'ephemeral').map(shown).join('\n');
}

/** Slack answers a message posted to a user's id with the id of the DM it went to (the fake echoes the user's id). */
function dmsOf(dms: Record<string, string>, leads: string[]): Intercept {
  return (method, raw) => {
    const body = interceptedBody(raw);
    const dm = method === 'chat.postMessage' ? dms[String(body.channel)] : undefined;
    if (!dm) return undefined;
    leads.push(String(body.text));
    return { ok: true, channel: dm, ts: `1700000100.00000${leads.length}` };
  };
}

async function ask(setupDone: Setup, user: string, text: string, answers: number): Promise<void> {
  expect(await setupDone.events.slash({ text, channel: 'D_ADA_BO', channelName: 'directmessage', user })).toBe(200);
  await until(() => setupDone.slack.posts.length >= answers, `an answer to /cairn ${text}`);
}

it("keeps Ada's ephemeral /cairn exchange in a DM with Bo out of Bo's /cairn export there", async () => {
  s = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2' } });
  s.model.enqueue({ text: 'Your review outcome is confidential: rating 2.' });
  await ask(s, 'U1', 'what was my performance review outcome?', 1);
  expect(s.slack.posts[0]).toMatchObject({ channel: 'D_ADA_BO', responseType: 'ephemeral' });
  await ask(s, 'U2', 'export', 2);
  const later = s.slack.posts.slice(1) as Seen[];
  expect(later.map(shown).join('\n')).not.toMatch(/performance review|rating 2/);
  // Bo's own conversation there holds nothing yet, and he alone is told so.
  expect(later).toEqual([expect.objectContaining({ channel: 'D_ADA_BO', responseType: 'ephemeral', text: expect.stringMatching(/nothing in this conversation to export/) })]);
  expect(s.slack.callsTo('files.completeUploadExternal')).toEqual([]);
});

it("answers Bo without Ada's questions and answers in the model's context", async () => {
  s = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2' } });
  s.model.enqueue({ text: 'Your review outcome is confidential: rating 2.' }, { text: 'I cannot tell.' });
  await ask(s, 'U1', 'what was my performance review outcome?', 1);
  await ask(s, 'U2', 'what did Ada just ask you?', 2);
  const [adas, bos] = s.model.chatRequests();
  expect(JSON.stringify(adas)).toMatch(/performance review/);
  expect(JSON.stringify(bos)).not.toMatch(/performance review|rating 2/);
});

it("sends Ada's own /cairn export there to her DM with Cairn and tells her so, where Bo sees neither", async () => {
  const leads: string[] = [];
  s = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2' }, intercept: dmsOf({ U1: 'D1' }, leads) });
  s.model.enqueue({ text: 'Your review outcome is confidential: rating 2.' });
  await ask(s, 'U1', 'what was my performance review outcome?', 1);
  await ask(s, 'U1', 'export', 3);
  const posts = s.slack.posts as Seen[];
  // The transcript: shared in Ada's own DM (the one Slack named), after a line saying where it comes from.
  const shared = posts.filter((post) => post.via === 'files.completeUploadExternal');
  expect(shared).toEqual([expect.objectContaining({ channel: 'D1', text: 'The conversation so far, as Markdown.' })]);
  expect(shown(shared[0]!)).toMatch(/rating 2/);
  expect(shown(shared[0]!)).toMatch(/slack:T1:D_ADA_BO:private-U1/);
  expect(leads).toEqual([expect.stringMatching(/asked for with \/cairn in a DM with others/)]);
  // In the DM with Bo: Ada alone is told where it went.
  expect(posts.at(-1)).toMatchObject({ channel: 'D_ADA_BO', responseType: 'ephemeral', text: expect.stringMatching(/sent the files to your direct chat with me/) });
  expect(readableInDm(posts)).toBe('');
});

it('says the files were not sent when Slack does not name the DM it posted to', async () => {
  // The loopback fake echoes the user's id, which files.completeUploadExternal would refuse (it takes C…, G…, D… ids only).
  s = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2' } });
  s.model.enqueue({ text: 'Noted.' });
  await ask(s, 'U1', 'remember that the launch is on Friday', 1);
  await ask(s, 'U1', 'export', 2);
  await until(() => s!.slack.posts.some((post) => /refused the file/.test(post.text ?? '')), 'the refusal');
  expect(s.slack.callsTo('files.completeUploadExternal')).toEqual([]);
  expect(s.slack.posts.at(-1)).toMatchObject({ channel: 'D_ADA_BO', responseType: 'ephemeral', text: expect.stringMatching(/did not say which direct chat with U1/) });
  expect(readableInDm(s.slack.posts as Seen[])).toBe('');
});

it("posts what the asker's conversation sends outside a slash command (a scheduled task's result) to the asker's own DM", async () => {
  s = await setup();
  const conversationId = askerOnlyConversationId(`slack:${s.slack.teamId}:D_ADA_BO`, 'U1');
  expect(parseConversationId(conversationId)).toEqual({ team: s.slack.teamId, channel: 'D_ADA_BO', asker: 'U1' });
  await s.adapter.send(conversationId, { text: 'Your weekly summary is ready.' });
  expect(s.slack.posts).toEqual([expect.objectContaining({ channel: 'U1', via: 'chat.postMessage', text: 'Your weekly summary is ready.' })]);
  expect(s.slack.posts[0]?.threadTs).toBeUndefined();
});

it('still reads the ids of threads and DMs as before', () => {
  expect(parseConversationId('slack:T1:C1:1700000000.000100')).toEqual({ team: 'T1', channel: 'C1', threadTs: '1700000000.000100' });
  expect(parseConversationId('slack:T1:D1')).toEqual({ team: 'T1', channel: 'D1' });
});

/**
 * Messages people forward to Cairn. Slack sends a forward as an attachment of the forwarding
 * message (`is_share`); the message's own text is only the comment typed with it, or nothing.
 * The model reads the forwarded words, marked as forwarded; only the sender's own words
 * address Cairn or run a command.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postEvent, setup, userTexts, type Setup } from './slack-lifecycle-harness.js';
import { normalizeEvent, type NormalizeOptions } from '../../adapters/slack/normalize.js';

const options: NormalizeOptions = { bot: { teamId: 'T1', userId: 'UBOT', botId: 'BBOT' }, channelSessions: 'thread', isCommand: (name) => name === 'new', now: new Date(0) };

/** A forward as Slack sends it: the copy of the message in an attachment. */
const forward = (text: string, author = 'Bo') => ({
  is_share: true,
  is_msg_unfurl: true,
  author_name: author,
  author_id: 'U2',
  channel_id: 'C9',
  ts: '1599999999.000001',
  text,
  fallback: `[September 13th, 2020 12:26 PM] ${author}: ${text}`,
  from_url: 'https://fake.slack.com/archives/C9/p1599999999000001',
});

let world: Setup | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('Slack: forwarded messages', () => {
  it('shows the model a message forwarded into the DM, with the comment typed with it, and one forwarded alone', async () => {
    world = await setup();
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'what does this mean?', ts: '1600000001.000001', attachments: [forward('deploy of <https://ci.example.com/1|build 1> failed &amp; rolled back')] }, 'EvF1');
    await world.slack.waitForMessages(1);
    expect(userTexts(world, 0)).toEqual(['what does this mean?\n[Forwarded message from Bo:\ndeploy of build 1 (https://ci.example.com/1) failed & rolled back]']);

    // Forwarded without a comment: it was "Your message was empty".
    await postEvent(world, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: '', ts: '1600000002.000001', attachments: [forward('the cert expires Friday')] }, 'EvF2');
    expect((await world.slack.waitForMessages(2))[1]?.text).toBe('echo: [Forwarded message from Bo:\nthe cert expires Friday]');
  });

  it('reads a forward of a message that had only blocks, and a forward in the thread before a mention', async () => {
    const root = '1600000500.000001';
    world = await setup({
      intercept: (method) =>
        method === 'conversations.replies'
          ? { ok: true, has_more: false, messages: [{ ts: root, user: 'U2', text: '', attachments: [{ is_share: true, author_name: 'Cy', message_blocks: [{ message: { text: 'rollback done' } }] }] }] }
          : undefined,
    });
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> is this right?', ts: '1600000501.000001', thread_ts: root }, 'EvF3');
    await world.slack.waitForMessages(1, (p) => p.channel === 'C1');
    expect(userTexts(world, 0)).toEqual(['[Earlier in this thread:\nBo: [Forwarded message from Cy:\nrollback done]]\nis this right?']);
  });

  it('takes a command and a mention from the sender\'s own words only, and loses no message over an odd attachment', () => {
    const dm = { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', ts: '5.1' };
    const body = { team_id: 'T1' };
    // A forward that says /new or mentions Cairn is something to read, not a command or a call.
    expect(normalizeEvent({ ...dm, text: '', attachments: [forward('/new')] }, body, options)?.message).toMatchObject({ command: undefined, text: '[Forwarded message from Bo:\n/new]' });
    expect(normalizeEvent({ ...dm, text: '/new', attachments: [forward('old plans')] }, body, options)?.message).toMatchObject({ command: { name: 'new', args: '' }, text: '/new' });
    const channel = { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', ts: '5.2', text: 'fyi' };
    expect(normalizeEvent({ ...channel, attachments: [forward('<@UBOT> deploy please')] }, body, options)?.message.addressed).toBe(false);
    // Link previews are no forwards; an attachment of another shape is skipped.
    const odd = [{ title: 'Example Domain', text: 'preview', from_url: 'https://example.com' }, 'junk', { is_share: true, text: null }];
    expect(normalizeEvent({ ...dm, text: 'look', attachments: odd }, body, options)?.message.text).toBe('look');
  });
});

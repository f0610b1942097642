/**
 * Files shared in a Slack Connect channel from a partner's workspace come as their id alone
 * (`file_access: check_file_info`: no name, type or link). Cairn asks files.info for the rest
 * and reads them like any file; where Slack will not say, the message is still answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postEvent, setup, until, userTexts, type Setup } from './slack-lifecycle-harness.js';

const partnerFile = (id: string) => ({ id, mode: 'file_access', file_access: 'check_file_info', created: 0, timestamp: 0, user: '' });

let world: Setup | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('Slack Connect files', () => {
  it('reads a file a partner shared, looked up with files.info, and answers when Slack will not say what it is', async () => {
    let url = '';
    const asked: string[] = [];
    world = await setup({
      intercept: (method, raw) => {
        if (method !== 'files.info') return undefined;
        const id = new URLSearchParams(raw).get('file') ?? '';
        asked.push(id);
        return id === 'F77' ? { ok: true, file: { id, name: 'notes.txt', mimetype: 'text/plain', size: 11, file_access: 'visible', url_private_download: url } } : { ok: false, error: 'file_not_found' };
      },
    });
    url = world.slack.addFile('notes.txt', Buffer.from('hello world'));
    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', user_team: 'T1', text: '<@UBOT> summarize', ts: '1600000002.000001', files: [partnerFile('F77')] }, 'EvC1');
    await world.slack.waitForMessages(1, (p) => p.channel === 'C1');
    expect(userTexts(world, 0)).toEqual(['summarize\n\n[file (notes.txt); attachment #1]\nhello world\n[end of file (notes.txt)]']);

    await postEvent(world, { type: 'app_mention', channel: 'C1', user: 'U1', user_team: 'T1', text: '<@UBOT> and this?', ts: '1600000003.000001', files: [partnerFile('F78')] }, 'EvC2');
    await world.slack.waitForMessages(2, (p) => p.channel === 'C1');
    expect(userTexts(world, 1)).toEqual(['and this?\n\n[The message also carried a file, which you cannot see or open. If the request depends on it, say so and ask for the content as text.]']);
    expect(asked).toEqual(['F77', 'F78']);

    // A message Cairn does not answer (a channel message that does not mention it) asks Slack nothing.
    await postEvent(world, { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', user_team: 'T1', text: 'for the team', ts: '1600000004.000001', files: [partnerFile('F79')] }, 'EvC3');
    await until(() => world?.outcomes.length === 3, 'the channel message to reach the gateway');
    expect(await world.outcomes[2]).toBe('not-addressed');
    expect(asked).toEqual(['F77', 'F78']);
  });
});

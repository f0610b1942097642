/**
 * A file sent with a command other than /new (a PDF captioned "/status" on Telegram, an
 * attachment on a Discord "/help") is not read: the reply says so. It was dropped without a word.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('a file sent with a command', () => {
  it('is named in the reply as not read, with how to send it', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    await cairn.gateway.receive(cairn.adapter.message('/help', { command: { name: 'help', args: '' }, attachments: ['a file (report.pdf)'] }));
    const reply = cairn.adapter.texts().at(-1) ?? '';
    expect(reply).toMatch(/^Commands:/);
    expect(reply).toContain('I did not read a file (report.pdf) you sent with /help');
    expect(rig.server.chatRequests()).toHaveLength(0);
  });
});

/**
 * Cairn stops while a command waits for an admin's approval: the grace runs out, the turn is cut off
 * and the request withdrawn. The asker was told "the provider refused the API key" (the tool's
 * own 'permission' error, "not run: the turn was cancelled", was taken for the turn's cause); they
 * are told Cairn is restarting, and the question says it was withdrawn.
 */
import { describe, expect, it, vi } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const rig = useFakeModelRig();

describe('a command waiting for approval when Cairn stops', () => {
  it('tells the asker Cairn is restarting, and withdraws the request', async () => {
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '1', CAIRN_TOOLS_ADMIN_ONLY: 'false', CAIRN_REFLECTION: 'off' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    rig.server.enqueue({ toolCalls: [{ id: 'c1', name: 'terminal', arguments: { command: 'curl -fsS http://127.0.0.1:9/x | sh' } }] }, { text: 'Installed.' });
    const turn = cairn.gateway.receive(telegram.message('install it the quick way', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:dm:2' }));
    await vi.waitFor(() => expect(telegram.texts().join('\n')).toMatch(/\/approve \w+/));

    // The shutdown grace is over at once.
    await cairn.gateway.drain(10_000, async () => {});
    await turn;
    expect(telegram.texts().at(-1)).toBe('I was stopped before I could finish (Cairn is restarting). Your message is saved; send it again in a moment.');
    expect(telegram.edited.at(-1)?.text).toMatch(/\nWithdrawn: the task ended before an answer\.$/);
    expect(rig.server.chatRequests()).toHaveLength(1);
  });
});

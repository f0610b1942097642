/**
 * A Telegram group becomes a supergroup (its chat id changes) right after Cairn answered a request
 * there: the conversation goes on in the supergroup, and `/feedback` typed there judges that answer.
 * The learning tasks stayed under the old chat id, so it said it knew of no answer to judge.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const OLD = 'telegram:-100';
const NEW = 'telegram:-1001234';

describe('/feedback after a group became a supergroup', () => {
  it('judges the task answered in the group just before the move', async () => {
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100', CAIRN_REFLECTION: 'off' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const inGroup = (conversationId: string, text: string, extra: Partial<InboundMessage> = {}) =>
      telegram.message(text, { conversationId, senderId: '100', userId: 'telegram:100', isDirect: false, addressed: true, ...extra });

    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'The release is at 14:00.' });
    await cairn.gateway.receive(inGroup(OLD, 'when is the release?'));
    await cairn.learning.idle();

    cairn.moveConversation(OLD, NEW);
    cairn.manualClock.advance(60_000);
    await cairn.gateway.receive(inGroup(NEW, '/feedback bad it is at 15:00', { command: { name: 'feedback', args: 'bad it is at 15:00' } }));

    expect(telegram.texts().at(-1)).toBe("Thanks for telling me. I'll look at what went wrong and do better next time.");
    const [task] = cairn.learning.tasks.recent(1);
    expect([task?.conversationId, task?.feedback, task?.feedbackReason, task?.outcome]).toEqual([NEW, 'bad', 'it is at 15:00', 'failure']);
  });
});

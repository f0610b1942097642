/**
 * A Telegram group becomes a supergroup right after a plain answer (no tool calls) there: typed
 * `/feedback` in the supergroup could not find it. Plain turns are remembered only in memory, by
 * conversation id (learning/recorder.ts); `TaskRecorder.moveConversation`, called by main.ts's
 * moveConversation, now moves them with the conversation.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const OLD = 'telegram:-100';
const NEW = 'telegram:-1001234';

describe('/feedback after a group became a supergroup', () => {
  it('a plain answer (no tools) too', async () => {
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100', CAIRN_REFLECTION: 'off' });
    const tg = new RecordingAdapter('telegram');
    cairn.gateway.attach(tg);
    const inGroup = (conversationId: string, text: string, extra: Partial<InboundMessage> = {}) =>
      tg.message(text, { conversationId, senderId: '100', userId: 'telegram:100', isDirect: false, addressed: true, ...extra });
    rig.server.enqueue({ text: 'The capital of Australia is Sydney.' });
    await cairn.gateway.receive(inGroup(OLD, 'capital of Australia?'));
    cairn.moveConversation(OLD, NEW);
    await cairn.gateway.receive(inGroup(NEW, '/feedback bad it is Canberra', { command: { name: 'feedback', args: 'bad it is Canberra' } }));
    expect(tg.texts().at(-1)).toBe("Thanks for telling me. I'll look at what went wrong and do better next time.");
  });
});

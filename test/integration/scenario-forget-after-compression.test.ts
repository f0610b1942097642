/**
 * A person's use over a day: a note saved, a long conversation that gets compressed (its summary
 * holds the fact), `/export`, then `/forget all` and `/new`: nothing of what was forgotten comes
 * back, not in the next request (recall, summary, history, memory_search), `/memory`, a later
 * `/export`, nor the notes condensed from the conversations that ended.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const SECRET = 'locker 4812';
const USER = 'telegram:100';

const systemOf = (body: ChatBody) => String(body.messages?.[0]?.content ?? '');

/** Summaries and extracted notes repeat the fact, as a real model would; chat turns answer "ok". */
function model(request: RecordedRequest) {
  const system = systemOf(request.body as ChatBody);
  if (system.startsWith('You compress')) return { text: `Alice keeps her bike in ${SECRET} and talked about many things.` };
  if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [{ text: `Alice keeps her bike in ${SECRET}.`, kind: 'fact' }] }) };
  return { text: 'ok' };
}

describe('compressed, exported, then forgotten', () => {
  it('brings nothing forgotten back after /forget all and /new', async () => {
    rig.server.setDefault(model);
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_CONTEXT_TOKENS: '2000' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const say = (text: string, extra: Partial<InboundMessage> = {}) =>
      cairn.gateway.receive(telegram.message(text, { senderId: '100', userId: USER, conversationId: 'telegram:dm:100', ...extra }));
    const command = (name: string, args = '') => say(`/${name}${args ? ` ${args}` : ''}`, { command: { name, args } });
    const notesText = () => JSON.stringify(cairn.notes.store.list(USER, { limit: 50 }));

    // A note saved with the tool, then /new: the conversation is condensed into notes too.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: `Alice keeps her bike in ${SECRET}.`, kind: 'fact' } }] }, { text: 'Saved.' });
    await say(`remember my bike is in ${SECRET}`);
    await command('new');
    await cairn.notes.idle();
    expect(notesText()).toContain('4812');

    // A long conversation that says it again, compressed on the way; /export has it.
    await say(`by the way, the bike is still in ${SECRET}`);
    for (let i = 0; i < 12; i++) await say(`message ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}`);
    expect(rig.server.chatRequests().some((body) => systemOf(body).startsWith('You compress'))).toBe(true);
    await command('export');
    expect(telegram.texts().at(-1)).toContain('4812');

    await command('forget', 'all');
    expect(telegram.texts().at(-1)).toMatch(/^Deleted your one note\. I won't keep notes from what you said before now\. Our conversation starts afresh/);
    await command('new');
    expect(telegram.texts().at(-1)).toBe('This is already a new conversation.');
    await cairn.notes.idle();

    const before = rig.server.chatRequests().length;
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'bike locker' } }] }, { text: 'I do not know.' });
    await say('where is my bike?');
    const after = rig.server.chatRequests().slice(before);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(after)).not.toContain('4812');
    await command('memory');
    expect(telegram.texts().at(-1)).not.toContain('4812');
    await command('export');
    expect(telegram.texts().at(-1)).not.toContain('4812');
    // The conversation after the forget ends too: its notes hold nothing of before.
    await command('new');
    await cairn.notes.idle();
    expect(notesText()).not.toContain('4812');
  });
});

/**
 * Extraction shows the model the speaker's notes found by what they said. A speaker who pasted a
 * long text in Chinese (no spaces, no punctuation) made that search hold the event loop, and every
 * conversation with it, for about 50 seconds; the search reads the start of what they said, where
 * its words come from.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction, memoryReplies } from './helpers.js';

const rig = useFakeModelRig();

const WEI = 'test:wei';
const NOTE = { notes: [{ text: 'Wei is moving the billing database to Postgres 16.', kind: 'decision' }] };

describe('extraction after a long paste', () => {
  it('shows the notes found by the speaker\'s first words, after a long paste of Chinese', async () => {
    rig.server.setDefault(memoryReplies(() => NOTE));
    const cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
    const known = cairn.notes.store.add(WEI, { text: 'Wei maintains the billing service.', kind: 'fact', origin: 'user', createdAt: 1 });
    const store = cairn.sessions.store;
    const session = store.start({ conversationId: 'test:dm:wei', platform: 'test', userId: WEI, prefix: 'p', model: undefined }, cairn.manualClock.now());
    const said = ['The billing service needs a new database.', `请翻译这篇文章${'我们今天讨论了数据库迁移的问题并决定下周开始'.repeat(2_700)}`, 'Postgres 16 it is.'];
    for (const content of said) store.append(session.id, [{ message: { role: 'user', content }, userId: WEI }, { message: { role: 'assistant', content: 'OK.' } }], cairn.manualClock.now());
    cairn.sessions.endConversation('test:dm:wei', 'new');
    await cairn.notes.idle();
    expect(cairn.notes.extraction!.state(session.id).state).toBe('done');
    const prompt = String(rig.server.chatRequests().filter(isExtraction)[0]?.messages[1]?.content);
    expect(prompt).toContain(`- [${known.id}] (fact) Wei maintains the billing service.`);
    expect(cairn.notes.store.list(WEI).map((n) => n.text).sort()).toEqual([NOTE.notes[0]!.text, 'Wei maintains the billing service.'].sort());
  }, 10_000);
});

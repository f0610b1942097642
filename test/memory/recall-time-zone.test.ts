/** The notes recalled into the prompt are dated as memory_search, /memory and current_time date them: in CAIRN_TZ. */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { isExtraction } from './helpers.js';

const rig = useFakeModelRig();

const ALICE = 'test:alice';
const chatBodies = () => rig.server.chatRequests().filter((body) => !isExtraction(body));
const systemPrompt = (body: ChatBody | undefined) => String(body?.messages[0]?.content ?? '');
const toolResult = (body: ChatBody | undefined) => String([...(body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === 'tool')?.content ?? '');

describe('recall with CAIRN_TZ=Asia/Tokyo', () => {
  it('dates a note written at 08:30 on 5 March in Tokyo as the 5th, the day memory_search gives it', async () => {
    const cairn = rig.start({ CAIRN_TZ: 'Asia/Tokyo' });
    // 08:30 on Thursday 5 March in Tokyo: still the 4th in UTC.
    cairn.notes.store.add(ALICE, { text: 'Decided to rename the repository to cairn-core.', kind: 'decision', origin: 'model', createdAt: Date.parse('2026-03-05T08:30:00+09:00') });
    rig.server.enqueue({ toolCalls: [{ name: 'memory_search', arguments: { query: 'rename repository' } }] }, { text: 'On the 5th.' });
    await cairn.gateway.receive(cairn.adapter.message('when did we decide to rename the repository?'));
    const body = chatBodies().at(-1);
    expect(toolResult(body)).toContain('2026-03-05T08:30:00.000+09:00');
    const memory = systemPrompt(body).slice(systemPrompt(body).indexOf('## Memory'));
    // One note, one day: the prompt must not call it a decision of the 4th while the tool says the 5th.
    expect(memory).toContain('(decision, 2026-03-05) Decided to rename the repository to cairn-core.');
    expect(memory).toContain('Asia/Tokyo');
  });
});

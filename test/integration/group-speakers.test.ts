/**
 * In a group the model (and /export) tell speakers apart by the name each message carries.
 * People whose names are not written in Latin letters must not all become one "user".
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;

beforeEach(() => {
  cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000' });
});

const GROUP = 'test:group:1';
const inGroup = (senderId: string, userName: string, text: string, overrides: Partial<InboundMessage> = {}): InboundMessage =>
  cairn.adapter.message(text, { conversationId: GROUP, senderId, userId: `test:${senderId}`, userName, isDirect: false, addressed: true, ...overrides });

describe('speakers with non-Latin names in a group', () => {
  it('stay two different speakers for the model', async () => {
    await cairn.gateway.receive(inGroup('u1', 'Дмитрий', 'Please delete my branch feature-x.'));
    await cairn.gateway.receive(inGroup('u2', 'Анна', 'Whose branch was that?'));
    await cairn.gateway.receive(inGroup('u3', 'Jürgen', 'Mine too.'));
    const users = (rig.server.chatRequests().at(-1)?.messages as { role: string; name?: string }[]).filter((m) => m.role === 'user');
    // Each its own name, fit for the API's [a-zA-Z0-9_-] (all three were "user" or "J_rgen").
    expect(users.map((m) => m.name)).toEqual(['user_u1', 'user_u2', 'Jurgen']);
  });

  it('are named in /export', async () => {
    await cairn.gateway.receive(inGroup('u1', '山田', 'Ship it on Friday?'));
    await cairn.gateway.receive(inGroup('u2', '佐藤', 'No, Monday.'));
    await cairn.gateway.receive(inGroup('u1', '山田', '/export', { command: { name: 'export', args: '' } }));
    const transcript = cairn.adapter.texts().at(-1) ?? '';
    expect(transcript).toContain('Ship it on Friday?');
    expect(transcript).not.toContain('**user**');
    expect(transcript).toContain('**山田**');
    expect(transcript).toContain('**user_u2**');
  });

});

describe('the group prompt', () => {
  it('does not tell the model that a later speaker is the one who spoke first', async () => {
    await cairn.gateway.receive(inGroup('u1', 'alice', 'Morning! Can you watch the deploy today?'));
    await cairn.gateway.receive(inGroup('u2', 'bob', 'Who am I talking to, and who are you talking to?'));
    const system = (rig.server.chatRequests().at(-1)?.messages as { role: string; content: string }[])[0]?.content ?? '';
    // Bob's turn: the system prompt must not say the conversation is with alice.
    expect(system).toContain('group conversation');
    expect(system).not.toContain('with alice');
    expect(system).toContain("each person's messages carry their name");
  });
});


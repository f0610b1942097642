/**
 * Work that started under the old person key and finishes after the link (a note saved, notes
 * condensed, tokens spent, a /stop) is the person's: it is written for, and checked against,
 * whoever the person is when it writes.
 */
import { describe, expect, it } from 'vitest';
import type { FakeReply, RecordedRequest, ChatBody } from '../fakes/model-server.js';
import { isExtraction } from '../memory/helpers.js';
import { cmd, dm, link, until, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld();
let world: World;

const echo = (request: RecordedRequest): FakeReply => {
  const messages = ((request.body as ChatBody)?.messages ?? []) as { role: string; content: string }[];
  return { text: `echo: ${[...messages].reverse().find((m) => m.role === 'user')?.content ?? ''}` };
};

describe('linking while work of the joining account is in flight', () => {
  it('notes condensed from a conversation whose extraction was running when the account was linked reach the person', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tabs = { notes: [{ text: 'Prefers tabs over spaces in Python.', kind: 'preference' }] };
    linking.model.setDefault((request) => (isExtraction(request.body as ChatBody) ? { after: gate, then: { text: JSON.stringify(tabs) } } : echo(request)));
    world = linking.start();
    const { cairn, telegram, slack } = world;
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'I always indent Python with tabs.'))).toBe('turn');
    // The Slack conversation ends (/new): the aux model starts condensing it.
    await cairn.gateway.receive(cmd(slack, 'U1', 'new'));
    await until(() => linking.model.chatRequests().some((body) => isExtraction(body)));
    // Meanwhile the person links the Slack account to their Telegram one.
    await link(world, [telegram, '100'], [slack, 'U1']);
    release();
    await cairn.notes.idle();
    const texts = (key: string) => cairn.notes.store.list(key).map((n) => n.text);
    expect({ person: texts('telegram:100'), oldKey: texts('slack:U1') }).toEqual({ person: [tabs.notes[0]!.text], oldKey: [] });
  });

  it('a note the model saves (memory_save) in a turn that was running when the account was linked reaches the person', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    world = linking.start();
    const { cairn, telegram, slack } = world;
    // A long task in a Slack channel: the model's first answer (a memory_save call) is held.
    linking.model.enqueue(
      { after: gate, then: { toolCalls: [{ name: 'memory_save', arguments: { text: 'Deploys the billing service on Fridays.', kind: 'fact' } }] } },
      { text: 'Saved.' },
    );
    linking.model.setDefault(echo);
    const group = slack.message('@Cairn remember I deploy billing on Fridays', { senderId: 'U1', userId: 'slack:U1', conversationId: 'slack:T1:C1', isDirect: false, addressed: true });
    const turn = cairn.gateway.receive(group);
    await until(() => linking.model.chatRequests().length >= 1);
    // While it runs, the person links the Slack account (in a DM) to their Telegram one.
    await link(world, [telegram, '100'], [slack, 'U1']);
    release();
    expect(await turn).toBe('turn');
    const texts = (key: string) => cairn.notes.store.list(key).map((n) => n.text);
    expect({ person: texts('telegram:100'), oldKey: texts('slack:U1') }).toEqual({ person: ['Deploys the billing service on Fridays.'], oldKey: [] });
  });

  it('the tokens of a turn that was running when the account was linked count for the person', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    world = linking.start({ CAIRN_USER_DAILY_TOKENS: '1000' });
    const { cairn, telegram, slack } = world;
    linking.model.enqueue({ after: gate, then: { text: 'A long answer.', usage: { prompt_tokens: 900, completion_tokens: 50 } } });
    linking.model.setDefault(() => ({ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 10 } }));
    const group = slack.message('@Cairn write me a long report', { senderId: 'U1', userId: 'slack:U1', conversationId: 'slack:T1:C1', isDirect: false, addressed: true });
    const turn = cairn.gateway.receive(group);
    await until(() => linking.model.chatRequests().length >= 1);
    await link(world, [telegram, '100'], [slack, 'U1']);
    release();
    expect(await turn).toBe('turn');
    // The person spent 950 tokens today: /usage on either account says so.
    await cairn.gateway.receive(cmd(telegram, '100', 'usage'));
    expect(telegram.texts().at(-1)).toContain('your requests used 950 tokens');
  });

  it('/stop after linking stops the turn the same account started before the link', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    world = linking.start();
    const { cairn, telegram, slack } = world;
    linking.model.enqueue({ after: gate, then: { text: 'A long answer.' } });
    linking.model.setDefault(echo);
    const inChannel = { senderId: 'U1', userId: 'slack:U1', conversationId: 'slack:T1:C1', isDirect: false, addressed: true };
    const turn = cairn.gateway.receive(slack.message('@Cairn write me a long report', inChannel));
    await until(() => linking.model.chatRequests().length >= 1);
    await link(world, [telegram, '100'], [slack, 'U1']);
    // The same Slack account asks to stop its own request, in the same channel.
    await cairn.gateway.receive(slack.message('/stop', { ...inChannel, command: { name: 'stop', args: '' } }));
    const answer = slack.sent.filter((s) => s.conversationId === 'slack:T1:C1').at(-1)?.reply.text;
    release();
    await turn;
    expect(answer).toBe('OK, stopping.');
  });
});

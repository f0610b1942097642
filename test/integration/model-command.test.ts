/** `/model`: see the conversation's model; admins switch it to one the provider lists, or back. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setModels(['test-model', 'gpt-4o', 'gpt-4o-mini', 'anthropic/claude-sonnet-4.5']);
  telegram = new RecordingAdapter('telegram');
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' }));
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const GROUP = 'telegram:-100';
const from = (senderId: string, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: `Person ${senderId}`, conversationId: GROUP, isDirect: false, addressed: true, ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}) });
};
async function say(senderId: string, text: string): Promise<string | undefined> {
  await cairn.gateway.receive(from(senderId, text));
  return telegram.texts().at(-1);
}
/** The model the turn for `text` asked (notes extraction of an ended session calls the aux model meanwhile). */
const modelFor = (text: string) => server.chatRequests().findLast((body) => body.messages?.at(-1)?.content === text)?.model;

describe('/model', () => {
  it('shows the model to anyone; an admin switches it for this conversation, across sessions, and back', async () => {
    expect(await say('2', '/model')).toBe('This conversation uses test-model.');
    expect(await say('2', '/model gpt-4o')).toBe('Only an admin can switch the model: each one costs differently.');
    expect(await say('2', '/model list')).toBe('Models (4):\nanthropic/claude-sonnet-4.5\ngpt-4o\ngpt-4o-mini\ntest-model');
    expect(await say('2', '/model list GPT')).toBe('Models with "GPT" (2):\ngpt-4o\ngpt-4o-mini');
    expect(await say('2', '/model list llama')).toBe('No model of the provider\'s 4 has "llama" in its name.');
    expect(await say('1', '/model gtp-4o')).toBe('The provider has no model named gtp-4o. Close: gpt-4o.');
    expect(await say('1', '/model sonnet')).toBe('The provider has no model named sonnet. Close: anthropic/claude-sonnet-4.5.');

    await say('2', 'hello');
    expect(modelFor('hello')).toBe('test-model');
    expect(await say('1', '/model gpt-4o-mini')).toBe('From the next message on, this conversation uses gpt-4o-mini.');
    await say('2', 'and now?');
    expect(modelFor('and now?')).toBe('gpt-4o-mini');
    // A new session keeps the conversation's model.
    await say('2', '/new');
    await say('2', 'fresh start');
    expect(modelFor('fresh start')).toBe('gpt-4o-mini');
    // Other conversations keep theirs.
    await cairn.gateway.receive(telegram.message('elsewhere', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:2' }));
    expect(modelFor('elsewhere')).toBe('test-model');

    // Named as the chat knows them; a switch kept from before names were stored shows the id.
    expect(await say('2', '/model')).toBe('This conversation uses gpt-4o-mini (switched by Person 1; `/model default` goes back to test-model).');
    cairn.db.prepare('UPDATE conversation_models SET set_by_name = NULL').run();
    expect(await say('2', '/model')).toBe('This conversation uses gpt-4o-mini (switched by telegram:1; `/model default` goes back to test-model).');
    expect(await say('1', '/model default')).toBe('This conversation is back on test-model.');
    await say('2', 'back again');
    expect(modelFor('back again')).toBe('test-model');
  });

  it('lists a long catalog in part, and says how to narrow it', async () => {
    server.setModels(Array.from({ length: 35 }, (_, i) => `model-${String(i).padStart(2, '0')}`));
    const listed = (await say('2', '/model list'))?.split('\n') ?? [];
    expect(listed[0]).toBe('Models (35):');
    expect(listed).toHaveLength(32);
    expect(listed.at(-1)).toBe('…and 5 more: narrow it with /model list <part of a name>.');
  });

  it('takes a name unchecked where the provider cannot list its models, and refuses what is no name', async () => {
    server.setModels(undefined);
    expect(await say('1', '/model list')).toMatch(/^The provider did not list its models: .*404/);
    expect(await say('1', '/model my-local-model')).toMatch(/^From the next message on, this conversation uses my-local-model\. \(The provider did not list its models, so the name is unchecked: .*404/);
    expect(await say('1', '/model two words')).toBe('"two words" is no model name. Send /model <name>, as the provider names it (for example gpt-4o-mini or anthropic/claude-sonnet-4.5).');
  });

  it('tells the people in the conversation when the provider does not have its model, and how to switch, not "try again"', async () => {
    server.setModels(undefined);
    await say('1', '/model gpt-5-mini');
    // As vLLM, Ollama and OpenAI answer for a model they do not serve.
    server.setDefault((request) =>
      (request.body as { model?: string }).model === 'gpt-5-mini'
        ? { error: { status: 404, body: { error: { message: 'The model `gpt-5-mini` does not exist.', type: 'invalid_request_error', code: 'model_not_found' } } } }
        : { text: 'fine' },
    );
    expect(await cairn.gateway.receive(from('2', 'what is on the agenda?'))).toBe('failed');
    const told = telegram.texts().at(-1) ?? '';
    expect(told).not.toMatch(/try again/i);
    expect(told).toContain('/model default');
    expect(await say('1', '/model default')).toMatch(/test-model/);
    expect(await say('2', 'and now?')).toBe('fine');
  });
});

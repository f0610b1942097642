/** /model: OpenRouter routing variants (`:nitro`) after a listed name, Ollama's names without `:latest`, and names pasted with a typographic hyphen, quoted or in other capitals. */
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
  // As OpenRouter lists them: catalog variants (`:free`) are entries, routing variants (`:nitro`) are not.
  server.setModels(['test-model', 'openai/gpt-4o', 'openai/gpt-4o-mini', 'meta-llama/llama-3.3-70b-instruct', 'meta-llama/llama-3.3-70b-instruct:free']);
  telegram = new RecordingAdapter('telegram');
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' }));
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const from = (senderId: string, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: `Person ${senderId}`, conversationId: 'telegram:1', ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}) });
};
async function say(senderId: string, text: string): Promise<string | undefined> {
  await cairn.gateway.receive(from(senderId, text));
  return telegram.texts().at(-1);
}
const modelFor = (text: string) => server.chatRequests().findLast((body) => body.messages?.at(-1)?.content === text)?.model;

describe('/model', () => {
  it("takes a listed model with an OpenRouter routing variant, which the catalog never lists", async () => {
    expect(await say('1', '/model openai/gpt-4o:nitro')).toMatch(/^From the next message on, this conversation uses openai\/gpt-4o:nitro\./);
    await say('1', 'fast please');
    expect(modelFor('fast please')).toBe('openai/gpt-4o:nitro');
    // A variant of a name the provider does not list is still refused.
    expect(await say('1', '/model openai/gpt-5o:nitro')).toMatch(/^The provider has no model named openai\/gpt-5o:nitro\./);
  });

  it('reads a name pasted with a typographic hyphen, quoted, or in other capitals, as the listed one', async () => {
    // U+2011 (no-break hyphen), as web pages write "GPT‑4o".
    expect(await say('1', '/model openai/gpt\u20114o-mini')).toBe('From the next message on, this conversation uses openai/gpt-4o-mini.');
    expect(await say('1', '/model OpenAI/GPT-4o')).toBe('From the next message on, this conversation uses openai/gpt-4o.');
    expect(await say('1', '/model \u201Copenai/gpt-4o-mini\u201D')).toBe('From the next message on, this conversation uses openai/gpt-4o-mini.');
    expect(await say('1', '/model `openai/gpt-4o`')).toBe('From the next message on, this conversation uses openai/gpt-4o.');
    expect(await say('2', '/model list "4o-mini"')).toBe('Models with "4o-mini" (1):\nopenai/gpt-4o-mini');
    await say('1', 'which one now?');
    expect(modelFor('which one now?')).toBe('openai/gpt-4o');
  });

  it("takes Ollama's name without its tag as the :latest it lists, as `ollama run` does", async () => {
    server.setModels(['llama3.2:latest', 'llama3.2:1b', 'qwen2.5:7b']);
    expect(await say('1', '/model llama3.2')).toBe('From the next message on, this conversation uses llama3.2:latest.');
    await say('1', 'hello llama');
    expect(modelFor('hello llama')).toBe('llama3.2:latest');
    // Only :latest stands for no tag: qwen2.5 has none listed.
    expect(await say('1', '/model qwen2.5')).toMatch(/^The provider has no model named qwen2\.5\. Close: qwen2\.5:7b/);
  });
});

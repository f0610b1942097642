/**
 * Second-pass review of src/model, seen end to end: what a user gets in chat.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('an answer cut off at the token limit', () => {
  it('does not pass an answer that ended with finish_reason "length" as a complete one', async () => {
    const cairn = rig.start();
    // The server's output cap cut the answer mid-list.
    rig.server.enqueue({ text: 'To migrate the database:\n1. Stop the bot.\n2. Back up data/cairn.db.\n3. Run', finishReason: 'length' });
    await cairn.gateway.receive(cairn.adapter.message('how do I migrate the database?'));
    const [reply] = cairn.adapter.texts();
    // The user got exactly the cut text ("3. Run") with nothing saying it is incomplete.
    expect(reply).toBe('To migrate the database:\n1. Stop the bot.\n2. Back up data/cairn.db.\n3. Run\n\n[My answer was cut off at the length limit. Say "continue" for the rest.]');
  });
});

describe('a tool call cut off at the token limit', () => {
  it('does not run, and the model hears it was cut off and how to go on', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    const written: string[] = [];
    cairn.tools.register({ name: 'save_text', description: 'saves text', parameters: z.object({ text: z.string() }), execute: ({ text }) => {
      written.push(text);
      return 'saved';
    } });
    rig.server.enqueue({ toolCalls: [{ id: 'call_1', name: 'save_text', arguments: '{"text": "Chapter one. It was a dark and sto' }], finishReason: 'length' }, { text: 'Saved in parts.' });
    await cairn.gateway.receive(cairn.adapter.message('save the story'));
    expect(written).toEqual([]);
    const result = (rig.server.chatRequests()[1]?.messages as { role: string; content: string }[]).find((message) => message.role === 'tool');
    expect(result?.content).toContain('cut off at your output limit');
    expect(result?.content).toContain('did not run');
  });

  it('runs when its arguments are whole, though the reply ended at the limit', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    const written: string[] = [];
    cairn.tools.register({ name: 'save_text', description: 'saves text', parameters: z.object({ text: z.string() }), execute: ({ text }) => {
      written.push(text);
      return 'saved';
    } });
    rig.server.enqueue({ toolCalls: [{ name: 'save_text', arguments: { text: 'short' } }], finishReason: 'length' }, { text: 'Saved.' });
    await cairn.gateway.receive(cairn.adapter.message('save it'));
    expect(written).toEqual(['short']);
  });
});

describe("an answer stopped by the provider's content filter (Azure OpenAI, OpenRouter: finish_reason \"content_filter\")", () => {
  it('tells the reader the answer was stopped, as a cut at the length limit does', async () => {
    const cairn = rig.start();
    const partial = 'To reset the router:\n1. Unplug it.\n2. Hold the reset button and';
    rig.server.enqueue({ text: partial, finishReason: 'content_filter' });
    await cairn.gateway.receive(cairn.adapter.message('how do I reset my router?'));
    // It was exactly the cut text, with nothing saying it is incomplete.
    expect(cairn.adapter.texts()).toEqual([`${partial}\n\n[The provider's content filter stopped this answer.]`]);
  });

  it('says the filter stopped it, not "rephrase", when nothing came before the stop', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ text: '', finishReason: 'content_filter' });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    expect(cairn.adapter.texts()).toEqual(["[The provider's content filter stopped this answer.]"]);
  });
});

describe('a model name the provider does not know, refused with a 400 (OpenRouter: "… is not a valid model ID")', () => {
  it('does not send the user to /new, which keeps the same model', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ error: { status: 400, body: { error: { message: 'anthropic/claude-sonet-4.5 is not a valid model ID', code: 400 } } } });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    const [reply] = cairn.adapter.texts();
    // It was "The model rejected this request. Try /new to start a fresh conversation."
    expect(reply).not.toContain('/new');
    expect(reply).toContain('/model');
  });
});

describe('reasoning written into the answer', () => {
  it('keeps a <think> block (Qwen3 / DeepSeek-R1 / Hermes served without a reasoning parser) out of the reply', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ text: '<think>\nThe user greets me. I should greet back briefly.\n</think>\n\nHello! How can I help?' });
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    expect(cairn.adapter.texts()).toEqual(['Hello! How can I help?']);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { createImageDescriber } from '../../src/model/vision.js';
import { createTranscriber } from '../../src/model/transcribe.js';
import type { CallRecord } from '../../src/model/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { providerAt } from './harness.js';

const PNG = Buffer.from('89504e470d0a1a0a', 'hex');

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe('image describer', () => {
  it('sends the image as a data URL with what the user wrote, and returns the description', async () => {
    server.enqueue({ text: '  A terminal showing "ENOENT: no such file".  ' });
    const describer = createImageDescriber({ provider: providerAt(server.url), model: 'gpt-4o-mini', timeoutMs: 5_000, maxRetries: 0 });
    await expect(describer.describe(PNG, 'image/png', 'why does this fail?')).resolves.toBe('A terminal showing "ENOENT: no such file".');
    const [body] = server.chatRequests();
    expect(body?.model).toBe('gpt-4o-mini');
    expect(body?.messages[0].role).toBe('system');
    expect(body?.messages[1].content).toEqual([
      { type: 'text', text: 'The user sent this image with the words: "why does this fail?"' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
  });

  it('maps a refusal to a CairnError and treats an empty description as a failure', async () => {
    server.enqueue({ error: { status: 400, body: { error: { message: 'model does not support image input' } } } }, { text: '' });
    const describer = createImageDescriber({ provider: providerAt(server.url), model: 'text-only', timeoutMs: 5_000, maxRetries: 0 });
    await expect(describer.describe(PNG, 'image/png', '')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('does not support image input') });
    await expect(describer.describe(PNG, 'image/png', '')).rejects.toMatchObject({ code: 'invalid_model_output' });
    expect(server.chatRequests()[0]?.messages[1].content[0].text).toBe('The user sent this image without words.');
  });

  it('asks a reasoning model again with max_completion_tokens when it refuses max_tokens, and from then on at once', async () => {
    const refusal = { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' } };
    server.setDefault((request) => ('max_tokens' in (request.body as object) ? { error: { status: 400, body: refusal } } : { text: 'A cat.' }));
    const describer = createImageDescriber({ provider: providerAt(server.url), model: 'gpt-5', timeoutMs: 5_000, maxRetries: 0, maxTokens: 500 });
    await expect(describer.describe(PNG, 'image/png', '')).resolves.toBe('A cat.');
    await expect(describer.describe(PNG, 'image/png', '')).resolves.toBe('A cat.');
    expect(server.chatRequests().map((body) => [body.max_tokens, body.max_completion_tokens])).toEqual([
      [500, undefined],
      [undefined, 25_500],
      [undefined, 25_500],
    ]);
  });

  it('writes each call in the ledger for the person it worked for, priced, failed ones too', async () => {
    const calls: CallRecord[] = [];
    const metering = { onCall: (call: CallRecord) => calls.push(call), pricing: { 'gpt-4o-mini': { input: 1, output: 2 } }, logger: silentLogger };
    server.enqueue({ text: 'A chart.', usage: { prompt_tokens: 1_000, completion_tokens: 500 } }, { text: '', usage: { prompt_tokens: 900, completion_tokens: 0, cost: 0.0042 } }, { error: { status: 429 } });
    const describer = createImageDescriber({ provider: providerAt(server.url), model: 'gpt-4o-mini', timeoutMs: 5_000, maxRetries: 0, metering });
    await describer.describe(PNG, 'image/png', '', { userKey: 'telegram:42' });
    // An empty description still spent its tokens.
    await expect(describer.describe(PNG, 'image/png', '', { userKey: 'telegram:42' })).rejects.toMatchObject({ code: 'invalid_model_output' });
    await expect(describer.describe(PNG, 'image/png', '', { userKey: 'slack:U1' })).rejects.toMatchObject({ code: 'rate_limit' });
    expect(calls.map(({ purpose, model, userKey, usage, costUsd, ok, errorCode }) => ({ purpose, model, userKey, usage, costUsd, ok, errorCode }))).toEqual([
      { purpose: 'vision', model: 'gpt-4o-mini', userKey: 'telegram:42', usage: { promptTokens: 1_000, completionTokens: 500, cachedTokens: 0 }, costUsd: 0.002, ok: true, errorCode: undefined },
      { purpose: 'vision', model: 'gpt-4o-mini', userKey: 'telegram:42', usage: { promptTokens: 900, completionTokens: 0, cachedTokens: 0 }, costUsd: 0.0042, ok: true, errorCode: undefined },
      { purpose: 'vision', model: 'gpt-4o-mini', userKey: 'slack:U1', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, costUsd: undefined, ok: false, errorCode: 'rate_limit' },
    ]);
  });
});

describe('transcriber', () => {
  it('writes each call in the ledger, with tokens where the model reports them', async () => {
    const calls: CallRecord[] = [];
    const metering = { onCall: (call: CallRecord) => calls.push(call), logger: silentLogger };
    server.enqueueTranscription(
      { text: 'call me back', usage: { type: 'tokens', input_tokens: 120, output_tokens: 4, total_tokens: 124 } },
      { text: 'per second', usage: { type: 'duration', seconds: 3 } },
      { error: { status: 400, message: 'Audio file could not be decoded.' } },
    );
    const transcriber = createTranscriber({ provider: providerAt(server.url), model: 'gpt-4o-transcribe', timeoutMs: 5_000, maxRetries: 0, metering });
    await expect(transcriber.transcribe(Buffer.from('OggS'), 'voice.ogg', { userKey: 'telegram:42' })).resolves.toBe('call me back');
    await expect(transcriber.transcribe(Buffer.from('OggS'), 'voice.ogg', { userKey: 'telegram:42' })).resolves.toBe('per second');
    await expect(transcriber.transcribe(Buffer.from('OggS'), 'voice.ogg', { userKey: 'telegram:42' })).rejects.toMatchObject({ code: 'bad_request' });
    expect(calls.map(({ purpose, userKey, usage, ok }) => ({ purpose, userKey, tokens: usage.promptTokens + usage.completionTokens, ok }))).toEqual([
      { purpose: 'transcription', userKey: 'telegram:42', tokens: 124, ok: true },
      { purpose: 'transcription', userKey: 'telegram:42', tokens: 0, ok: true },
      { purpose: 'transcription', userKey: 'telegram:42', tokens: 0, ok: false },
    ]);
  });
});

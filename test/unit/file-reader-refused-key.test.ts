/**
 * The key Cairn sends to its speech-to-text and vision endpoints is revoked (or restricted to chat). The person who
 * sent a voice message or a photo was shown the provider's own 401 words, the start and end of the refused key among
 * them ("Incorrect API key provided: sk-old-***789"), and told to send it as text, as if the recording were at fault.
 * They are told it is Cairn's key, for the operator to renew, with no part of it; the real transcriber and describer
 * against the loopback fake model server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { FileReader } from '../../src/core/file-reader.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { createTranscriber } from '../../src/model/transcribe.js';
import { createImageDescriber } from '../../src/model/vision.js';

const KEY = 'sk-old-provider-key-0123456789';
/** OpenAI's answer to a revoked key: its message quotes the key's start and end. */
const REFUSED = { status: 401, message: 'Incorrect API key provided: sk-old-***789. You can find your API key at https://platform.openai.com/account/api-keys.' };

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await model.close();
});

const file = (label: string, fileName: string, contentType: string): InboundFile => ({ label, fileName, contentType, size: 4, load: async () => Buffer.from('RIFF') });
const message = (files: InboundFile[]): InboundMessage => ({
  platform: 'test',
  conversationId: 'test:1',
  userId: 'test:u',
  senderId: 'u',
  userName: 'u',
  text: '',
  attachments: files.map((f) => f.label),
  files,
  isDirect: true,
  isSelf: false,
  messageId: 'm1',
  receivedAt: new Date(0),
});

describe('a voice message or photo when the provider refuses Cairn’s key', () => {
  it('tells the speaker it is Cairn’s key for the operator to renew, with no part of the key, and that the recording waits', async () => {
    const provider = { name: 'openai' as const, baseUrl: model.url, apiKey: KEY, model: 'gpt-4o', toolMode: 'native' as const, headers: {} };
    model.enqueueTranscription({ error: REFUSED });
    const reader = new FileReader({ maxInputChars: 1_000, logger: silentLogger, transcriber: createTranscriber({ provider, model: 'whisper-1', timeoutMs: 5_000, maxRetries: 0 }) });
    const told = await reader.read(message([file('a voice message', 'voice.ogg', 'audio/ogg')]), new AbortController().signal);
    expect(typeof told).toBe('string');
    expect(told).toMatch(/^I couldn't make out your voice message: the speech-to-text provider refused my API key\. The operator needs to set a new one/);
    expect(told).toMatch(/reply to it/);
    expect(told).not.toMatch(/sk-old|Incorrect API key|send it as text/);
  });

  it('says the same of a photo the vision model could not look at', async () => {
    const provider = { name: 'openai' as const, baseUrl: model.url, apiKey: KEY, model: 'gpt-4o', toolMode: 'native' as const, headers: {} };
    model.enqueue({ error: { status: 401, body: { error: { message: REFUSED.message, type: 'invalid_request_error', code: 'invalid_api_key' } } } });
    const reader = new FileReader({ maxInputChars: 1_000, logger: silentLogger, describer: createImageDescriber({ provider, model: 'gpt-4o-mini', timeoutMs: 5_000, maxRetries: 0, maxTokens: 50 }) });
    const told = await reader.read(message([file('a photo', 'shot.png', 'image/png')]), new AbortController().signal);
    expect(told).toMatch(/^I couldn't look at your photo: the image model's provider refused my API key\. The operator needs to set a new one/);
    expect(told).not.toMatch(/sk-old|Incorrect API key/);
  });
});

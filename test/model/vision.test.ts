import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { createImageDescriber } from '../../src/model/vision.js';
import { providerAt } from './harness.js';

const PNG = Buffer.from('89504e470d0a1a0a', 'hex');

describe('image describer', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    await server.close();
  });

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
});

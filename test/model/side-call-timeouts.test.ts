/**
 * Transcription, image descriptions and embeddings end when a server sends its headers and
 * then stalls mid-body: the openai package's own timeout stops at the headers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImageDescriber } from '../../src/model/vision.js';
import { createTranscriber } from '../../src/model/transcribe.js';
import { createOpenAIEmbedder } from '../../src/memory/notes/embeddings.js';
import { providerAt } from './harness.js';

let server: Server;
let url: string;
let hits = 0;
/**
 * Long enough for the request to reach the server on a loaded machine before the timer ends it (at 80 ms a
 * CI run under load timed out before the request was sent, and saw no request at all), short enough to be cheap.
 */
const STALL_TIMEOUT_MS = 400;
const open = new Set<ServerResponse>();

beforeEach(async () => {
  hits = 0;
  server = createServer((req, res) => {
    hits++;
    open.add(res);
    req.resume();
    req.on('end', () => {
      // Headers and the start of a body, then nothing more.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"text": "half');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterEach(async () => {
  for (const res of open) res.destroy();
  open.clear();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a body that stops coming', () => {
  it('ends a transcription in a timeout', async () => {
    const transcriber = createTranscriber({ provider: providerAt(url), model: 'whisper-1', timeoutMs: STALL_TIMEOUT_MS, maxRetries: 0 });
    await expect(transcriber.transcribe(new Uint8Array([1, 2, 3]), 'voice.ogg')).rejects.toMatchObject({ code: 'timeout' });
  });

  it('ends an image description in a timeout, asking once when no retries are allowed', async () => {
    const describer = createImageDescriber({ provider: providerAt(url), model: 'gpt-4o-mini', timeoutMs: STALL_TIMEOUT_MS, maxRetries: 0 });
    await expect(describer.describe(Buffer.from('89504e47', 'hex'), 'image/png', '')).rejects.toMatchObject({ code: 'timeout' });
    expect(hits).toBe(1);
  });

  it('ends an embedding request in a timeout', async () => {
    const embedder = createOpenAIEmbedder({ provider: providerAt(url), model: 'text-embedding-3-small', timeoutMs: STALL_TIMEOUT_MS, maxRetries: 0 });
    await expect(embedder.embed(['coffee'])).rejects.toMatchObject({ code: 'timeout' });
  });

  it('still reports a cancellation as one, not as a timeout', async () => {
    const controller = new AbortController();
    const embedder = createOpenAIEmbedder({ provider: providerAt(url), model: 'text-embedding-3-small', timeoutMs: 5_000, maxRetries: 0 });
    const pending = embedder.embed(['coffee'], controller.signal);
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });
});

/**
 * /stop must stop the turn: once the person said stop, no further tool call of that turn
 * may run (no more files posted, no more commands, no more notes saved).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AdapterCapabilities, OutboundReply } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

/** Takes files; each upload waits until the test lets it through (a slow platform upload). */
class SlowUploads extends RecordingAdapter {
  override readonly capabilities: AdapterCapabilities = { ...new RecordingAdapter().capabilities, maxFileBytes: 1024 * 1024 };
  uploadsStarted = 0;
  private open!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
  override async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    if (reply.files?.length) {
      this.uploadsStarted++;
      await this.gate;
    }
    return super.send(conversationId, reply);
  }
}

let server: FakeModelServer;
let cairn: TestCairn;
let adapter: SlowUploads;

beforeEach(async () => {
  server = await startFakeModelServer();
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
  adapter = new SlowUploads();
  cairn.gateway.attach(adapter);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

describe('/stop during a tool call', () => {
  it('runs none of the turn\'s remaining tool calls once stopped', async () => {
    server.enqueue({
      toolCalls: [
        { name: 'send_file', arguments: { content: 'one', name: 'a.txt' } },
        { name: 'send_file', arguments: { content: 'two', name: 'b.txt' } },
      ],
    });
    const turn = cairn.gateway.receive(adapter.message('send me the two reports'));
    await vi.waitFor(() => expect(adapter.uploadsStarted).toBe(1));

    expect(await cairn.gateway.receive(adapter.message('/stop', { command: { name: 'stop', args: '' } }))).toBe('command');
    // The upload under way finishes (platform uploads cannot be called back)...
    adapter.release();
    expect(await turn).toBe('stopped');

    // ...but nothing of the turn runs after the stop: b.txt is never posted.
    const files = adapter.sent.flatMap(({ reply }) => reply.files?.map((file) => file.name) ?? []);
    expect(files).toEqual(['a.txt']);
    expect(adapter.texts().at(-1)).toBe('Stopped. What I did so far stays in this conversation.');
  });
});

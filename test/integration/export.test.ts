/** /export: the conversation so far as a Markdown file, or as a message where the platform takes no files. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterCapabilities } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

/** A platform that takes files. */
class FilesAdapter extends RecordingAdapter {
  override readonly capabilities: AdapterCapabilities = { ...new RecordingAdapter().capabilities, maxFileBytes: 1024 * 1024 };
}

let model: FakeModelServer;
let cairn: TestCairn;
beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { CAIRN_REFLECTION: 'off' }));
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

const command = (adapter: RecordingAdapter) => adapter.message('/export', { command: { name: 'export', args: '' } });

describe('/export', () => {
  it('sends the conversation as Markdown: who said what and when, tools named, their results left out', async () => {
    const files = new FilesAdapter('files');
    cairn.gateway.attach(files);
    expect(await cairn.gateway.receive(command(files))).toBe('command');
    expect(files.texts().at(-1)).toBe('There is nothing in this conversation to export yet.');

    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is **nine**.' });
    await cairn.gateway.receive(files.message('what time is it?', { userName: 'Ada' }));
    await cairn.gateway.receive({ ...command(files), userName: 'Ada' });
    const reply = files.sent.at(-1)?.reply;
    expect(reply?.text).toBe('The conversation so far, as Markdown.');
    expect(reply?.files?.map((file) => file.name)).toEqual(['conversation-2026-11-24.md']);
    const markdown = Buffer.from(reply?.files?.[0]?.bytes ?? []).toString();
    expect(markdown).toBe(
      [
        '# Conversation with Cairn',
        '',
        'files:dm:alice · started 2026-11-24 09:00 UTC · exported 2026-11-24 09:00 UTC',
        '',
        '**Ada** (2026-11-24 09:00 UTC):',
        '',
        'what time is it?',
        '',
        '_Cairn used current_time._',
        '',
        '**Cairn** (2026-11-24 09:00 UTC):',
        '',
        'It is **nine**.',
        '',
      ].join('\n'),
    );
    expect(markdown).not.toContain('2026-11-24T');
  });

  it('answers with the transcript as a message where the platform takes no files', async () => {
    await cairn.gateway.receive(cairn.adapter.message('hello'));
    await cairn.gateway.receive(command(cairn.adapter));
    const reply = cairn.adapter.sent.at(-1)?.reply;
    expect(reply?.files).toBeUndefined();
    expect(reply?.text).toMatch(/^# Conversation with Cairn\n[\s\S]*\*\*Cairn\*\* \(2026-11-24 09:00 UTC\):\n\necho: hello\n$/);
  });
});

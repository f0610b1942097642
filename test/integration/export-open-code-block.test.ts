/** /export: an answer cut off inside a code block does not swallow the rest of the transcript. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterCapabilities } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

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

/** The lines of `markdown` that a CommonMark reader sees outside code blocks. */
function outsideCode(markdown: string): string[] {
  const lines: string[] = [];
  let open: string | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (open === undefined && fence) open = fence;
    else if (open !== undefined && fence && fence[0] === open[0] && fence.length >= open.length && line.trim() === fence) open = undefined;
    else if (open === undefined) lines.push(line);
  }
  return lines;
}

describe('/export', () => {
  it('closes a code block an answer left open (cut at the length limit), so later turns read as turns', async () => {
    const files = new FilesAdapter('files');
    cairn.gateway.attach(files);
    model.enqueue({ text: 'Here is the script:\n\n```python\nfor host in hosts:\n    check(host)', finishReason: 'length' }, { text: 'Glad it helped. Run it with:\n\n```\npython check.py\n```' });
    await cairn.gateway.receive(files.message('write me a health check script', { userName: 'Ada' }));
    await cairn.gateway.receive(files.message('thanks, that works', { userName: 'Ada' }));
    await cairn.gateway.receive(files.message('/export', { userName: 'Ada', command: { name: 'export', args: '' } }));
    const markdown = Buffer.from(files.sent.at(-1)?.reply.files?.[0]?.bytes ?? []).toString();
    expect(markdown).toContain('    check(host)');
    const prose = outsideCode(markdown);
    expect(prose.filter((line) => line.startsWith('**Ada**'))).toHaveLength(2);
    expect(prose).toContain('> thanks, that works');
    expect(prose).toContain('Glad it helped. Run it with:');
    // A block the answer closed itself is left as it was.
    expect(markdown.endsWith('Run it with:\n\n```\npython check.py\n```\n')).toBe(true);
  });
});

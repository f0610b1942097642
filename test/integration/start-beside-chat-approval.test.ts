import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { START_LEFTOVERS } from '../../src/cli/start.js';

let model: FakeModelServer;
const open: TestCairn[] = [];
afterEach(async () => {
  for (const cairn of open.splice(0)) await cairn.close();
  await model.close();
});

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A `cairn start` beside a `cairn chat` waiting for an approval leaves that request to the chat. */
describe('cairn start beside a cairn chat', () => {
  it("a cairn start beside a waiting cairn chat leaves its approval alone", async () => {
    model = await startFakeModelServer();
    const dataDir = tempDir();
    const first = startTestCairn(testConfig(model.url, { CAIRN_SHUTDOWN_GRACE_MS: '200' }, dataDir));
    open.push(first);
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const adapter = new ConsoleAdapter({ input, output, notices: new PassThrough(), interactive: true, identity: { user: 'ada', session: 'ada' } });
    first.gateway.attach(adapter);
    await adapter.start(first.gateway.receive);
    model.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] }, { text: 'Installer finished.' });
    input.write('run the installer\n');
    let id: string | undefined;
    await until(() => (id = /\/approve (\S+)/.exec(shown)?.[1]) !== undefined);

    // Another terminal: `cairn chat --session notes` starts on the same folder, as chat.ts does.
    const second = startTestCairn(testConfig(model.url, {}, dataDir));
    open.push(second);
    // What `cairn start` expires at its start.
    second.approvals.expireLeftovers(START_LEFTOVERS);

    input.write(`/approve ${id}\n`);
    input.end();
    await adapter.done;
    expect(shown).toContain(`Approved ${id}`);
    expect(shown).toContain('Installer finished.');
  });
});

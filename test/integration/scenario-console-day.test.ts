/**
 * A developer's day in `cairn chat`: a command held for approval is approved at the prompt and
 * the turn goes on, then stopped with Ctrl-C (which must not quit the chat while the turn runs);
 * meanwhile a second terminal opens `cairn chat --session notes` on the same data folder, which
 * must leave the first terminal's waiting request alone, and take over only its own session's leftovers.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { takeOverFromEarlierChats } from '../../src/cli/chat.js';

let model: FakeModelServer | undefined;
const opened: TestCairn[] = [];
afterEach(async () => {
  for (const cairn of opened.splice(0)) await cairn.close();
  await model?.close();
});

/** A Cairn on `dataDir`, as one `cairn chat` process builds it; a failing test's waiting turn is cut off quickly at close. */
function chatProcess(url: string, dataDir: string): TestCairn {
  const cairn = startTestCairn(testConfig(url, { CAIRN_SHUTDOWN_GRACE_MS: '200' }, dataDir));
  opened.push(cairn);
  return cairn;
}

/** A terminal (readline reads keys: Ctrl-C, Ctrl-D) running `cairn chat --session <session>` on `cairn`. */
async function terminal(cairn: TestCairn, session: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  Object.assign(output, { isTTY: true, columns: 80, rows: 24 });
  const notices = new PassThrough();
  let shown = '';
  let noticed = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  notices.on('data', (chunk: Buffer) => (noticed += chunk.toString()));
  const adapter = new ConsoleAdapter({ input, output, notices, interactive: true, identity: { user: 'ada', session } });
  cairn.gateway.attach(adapter);
  await adapter.start(cairn.gateway.receive);
  let ended = false;
  void adapter.done.then(() => (ended = true));
  return { input, adapter, shown: () => shown, noticed: () => noticed, ended: () => ended };
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const INSTALLER = { toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] };

describe("a developer's day in cairn chat", () => {
  it('stops the turn at Ctrl-C after /approve (the prompt is back, the turn still runs), and the chat goes on', async () => {
    model = await startFakeModelServer();
    const cairn = chatProcess(model.url, tempDir());
    const chat = await terminal(cairn, 'ada');
    // The approved command runs, then the model thinks for a long time.
    model.enqueue(INSTALLER, { hang: true });
    chat.input.write('run the installer\r');
    let id: string | undefined;
    await until(() => (id = /\/approve (\S+)/.exec(chat.shown())?.[1]) !== undefined);
    chat.input.write(`/approve ${id}\r`);
    await until(() => model!.chatRequests().length === 2);
    // The /approve was answered, so the prompt is drawn again; the turn goes on.
    await until(() => chat.shown().split(`Approved ${id}`)[1]?.includes('you> ') === true);
    chat.input.write('\x03');
    await until(() => chat.noticed().includes('Stopping… (Ctrl-C again quits)'));
    await until(() => chat.shown().includes('Stopped. What I did so far stays in this conversation.'));
    expect(chat.ended()).toBe(false);

    // The chat goes on; Ctrl-C at the prompt, with nothing running, quits.
    chat.input.write('is it stopped?\r');
    // The fake model echoes what it was asked: the stopped question goes along with this one.
    await until(() => chat.shown().split('is it stopped?')[2]?.includes('you> ') === true);
    chat.input.write('\x03');
    await chat.adapter.done;
  });

  it("leaves another terminal's waiting approval alone, and expires only what an earlier chat of its own session left", async () => {
    model = await startFakeModelServer();
    const dataDir = tempDir();
    // Yesterday's `cairn chat --session notes` asked for approval and was killed before an answer.
    const crashed = chatProcess(model.url, dataDir);
    const yesterday = await terminal(crashed, 'notes');
    model.enqueue(INSTALLER);
    yesterday.input.write('install it\r');
    let leftover: string | undefined;
    await until(() => (leftover = /\/approve (\S+)/.exec(yesterday.shown())?.[1]) !== undefined);

    // Today: the first terminal waits for the operator's /approve …
    const work = chatProcess(model.url, dataDir);
    const first = await terminal(work, 'ada');
    model.enqueue(INSTALLER, { text: 'Installer finished.' });
    first.input.write('run the installer\r');
    let id: string | undefined;
    await until(() => (id = /\/approve (\S+)/.exec(first.shown())?.[1]) !== undefined && id !== leftover);

    // … while a second terminal opens `cairn chat --session notes` on the same folder.
    const notes = chatProcess(model.url, dataDir);
    takeOverFromEarlierChats(notes, { user: 'ada', session: 'notes' });
    expect(notes.approvals.decide(leftover ?? '', true, 'console:ada', 'console:notes')).toMatch(/already expired: Cairn restarted before an answer/);

    first.input.write(`/approve ${id}\r`);
    await until(() => first.shown().includes('Installer finished.'));
    expect(first.shown()).toContain(`Approved ${id}: the command runs now.`);
    expect(first.shown()).not.toContain('already expired');
    first.input.write('\x04');
    await first.adapter.done;
  });
});

/** cairn chat in a terminal: cut answers, resizes, pastes, leaving mid-approval. */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';

let model: FakeModelServer;
let cairn: TestCairn;
beforeEach(async () => {
  model = await startFakeModelServer();
  // A failing test may leave a turn waiting: the clean-up's drain gives it little time.
  cairn = startTestCairn(testConfig(model.url, { CAIRN_SHUTDOWN_GRACE_MS: '200' }));
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

function consoleRig(interactive: boolean, tty = false) {
  const input = new PassThrough();
  const output = new PassThrough();
  if (tty) Object.assign(output, { isTTY: true, columns: 80, rows: 24 });
  const notices = new PassThrough();
  let shown = '';
  let noticed = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  notices.on('data', (chunk: Buffer) => (noticed += chunk.toString()));
  const adapter = new ConsoleAdapter({ input, output, notices, interactive, identity: { user: 'ada', session: 'ada' } });
  cairn.gateway.attach(adapter);
  return { input, output, adapter, shown: () => shown, noticed: () => noticed };
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe('console chat in a terminal', () => {
  it('prints an answer cut at the output limit once, with the cut-off note after it (not the whole answer again)', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    model.enqueue({ text: 'Chapter one: it was a dark and stormy night.', finishReason: 'length' });
    rig.input.write('write a long essay\n');
    rig.input.end();
    await rig.adapter.done;
    const shown = rig.shown();
    expect(shown).toContain('Say "continue" for the rest.');
    expect(count(shown, 'it was a dark and stormy night.')).toBe(1);
  });

  it('keeps a streaming answer on screen when the terminal is resized mid-reply (no prompt drawn over it)', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    let finish!: () => void;
    model.enqueue({ stream: ['Once upon a time', new Promise<void>((resolve) => (finish = resolve)), ', the end.'] });
    rig.input.write('tell me a story\r');
    await until(() => rig.shown().includes('Once upon a time'));
    // The user drags the terminal window wider while the answer streams in.
    rig.output.emit('resize');
    finish();
    await until(() => rig.shown().includes(', the end.'));
    const shown = rig.shown();
    const during = shown.slice(shown.indexOf('Once upon a time'), shown.indexOf(', the end.'));
    // Nothing may wipe the line being streamed or draw the prompt into the middle of the answer.
    expect(during).not.toContain('you> ');
    // No screen clearing (ESC [ J) either.
    expect(during).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d*J`));
    rig.input.write('\x04');
    await rig.adapter.done;
  });

  it('answers a multi-line paste into the terminal as one message, not its first line alone and then the rest', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    const lines = ['why does this fail?', 'TypeError: x is undefined', '    at main (app.js:3:7)'];
    // A terminal sends a paste as one burst, lines ended by CR; inside ESC[200~ … ESC[201~ where the app turned bracketed paste on.
    const bracketed = rig.shown().includes('\u001b[?2004h');
    const pasted = lines.join('\r');
    rig.input.write(bracketed ? `\u001b[200~${pasted}\u001b[201~\r` : `${pasted}\r`);
    await until(() => model.chatRequests().length >= 1 && rig.shown().includes('echo:'));
    rig.input.write('\x04');
    await rig.adapter.done;
    const asked = model.chatRequests().map((body) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').at(-1)?.content);
    expect(asked).toHaveLength(1);
    for (const line of lines) expect(asked[0]).toContain(line);
  });

  it('ends the chat at Ctrl-D while a command waits for /approve (nobody can type it any more), instead of hanging until the approval times out', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    model.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] }, { text: 'I did not run it.' });
    rig.input.write('run the installer\r');
    await until(() => /\/approve \S+/.test(rig.shown()));
    // Ctrl-D: the operator leaves; the prompt that could take /approve is gone.
    rig.input.write('\x04');
    let ended = false;
    void rig.adapter.done.then(() => (ended = true));
    await until(() => ended);
    const toolResult = model.chatRequests().at(-1)?.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content ?? '').not.toContain('exit code');
  });
});

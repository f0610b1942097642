/** cairn chat in a terminal: cut answers, resizes, pastes (bracketed or not), leaving mid-approval. */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON } from '../../adapters/console/paste.js';

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

const PASTE_START = '\u001b[200~';
const PASTE_END = '\u001b[201~';

/** What the person asked in each model request: its last user message. */
const askedByUser = () => model.chatRequests().map((body) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').at(-1)?.content);

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

  it('answers a pasted question with its stack trace as one message, though a line of it starts with "/" (a file path)', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    // Cairn asks the terminal to mark pastes (bracketed paste mode).
    expect(rig.shown()).toContain(BRACKETED_PASTE_ON);
    // What `node app.js` prints when it crashes: its first line is the script's path.
    const lines = ['why does this crash?', '/home/ada/app.js:3', '  x.y();', '    ^', "TypeError: Cannot read properties of undefined (reading 'y')", '    at Object.<anonymous> (/home/ada/app.js:3:5)'];
    // A terminal sends a paste as one burst, lines ended by CR, inside ESC[200~ … ESC[201~; then the person presses Enter.
    rig.input.write(`${PASTE_START}${lines.join('\r')}${PASTE_END}\r`);
    await until(() => model.chatRequests().length >= 1 && rig.shown().includes('echo:'));
    rig.input.write('\x04');
    await rig.adapter.done;
    expect(askedByUser()).toEqual([lines.join('\n')]);
  });

  it('holds a paste whose last line has no newline until Enter, then sends it all as one message', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    const lines = ['why does this fail?', 'TypeError: x is undefined', '    at main (app.js:3:7)'];
    rig.input.write(`${PASTE_START}${lines.join('\r')}${PASTE_END}`);
    // The person looks at what they pasted (turns of the event loop pass), then presses Enter.
    for (let tick = 0; tick < 50; tick++) await new Promise((resolve) => setImmediate(resolve));
    expect(model.chatRequests()).toHaveLength(0);
    rig.input.write('\r');
    await until(() => model.chatRequests().length >= 1 && rig.shown().includes('echo:'));
    rig.input.write('\x04');
    await rig.adapter.done;
    expect(askedByUser()).toEqual([lines.join('\n')]);
  });

  it('answers a multi-line paste as one message where the terminal does not mark pastes (one burst of lines)', async () => {
    const rig = consoleRig(true, true);
    await rig.adapter.start(cairn.gateway.receive);
    const lines = ['why does this fail?', '/srv/app/main.js:3', '    at main (app.js:3:7)'];
    rig.input.write(`${lines.join('\r')}\r`);
    await until(() => model.chatRequests().length >= 1 && rig.shown().includes('echo:'));
    rig.input.write('\x04');
    await rig.adapter.done;
    expect(askedByUser()).toEqual([lines.join('\n')]);
  });

  it('turns bracketed paste off when the chat ends, at Ctrl-D or Ctrl-C, so the shell after it gets plain pastes', async () => {
    for (const quit of ['\x04', '\x03']) {
      const rig = consoleRig(true, true);
      await rig.adapter.start(cairn.gateway.receive);
      rig.input.write(quit);
      await rig.adapter.done;
      expect(rig.shown().lastIndexOf(BRACKETED_PASTE_OFF)).toBeGreaterThan(rig.shown().lastIndexOf(BRACKETED_PASTE_ON));
    }
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

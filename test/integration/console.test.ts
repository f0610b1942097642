/** The console adapter in interactive mode: streamed replies, tool notices, commands, in order. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';

const modelRig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = modelRig.start();
});

/** Waits, a turn of the event loop at a time, until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

/** `tty`: the output is a terminal's, so readline reads keys (Ctrl-D closes it) and the input stays open, as stdin does. */
function consoleRig(interactive: boolean, filesDir?: string, tty = false) {
  const input = new PassThrough();
  const output = new PassThrough();
  if (tty) Object.assign(output, { isTTY: true, columns: 80 });
  const notices = new PassThrough();
  let shown = '';
  let noticed = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  notices.on('data', (chunk: Buffer) => (noticed += chunk.toString()));
  const adapter = new ConsoleAdapter({ input, output, notices, interactive, identity: { user: 'ada', session: 'ada' }, ...(filesDir ? { filesDir } : {}) });
  cairn.gateway.attach(adapter);
  return { input, adapter, shown: () => shown, noticed: () => noticed };
}

describe('console chat', () => {
  it('streams replies in a terminal, shows tool use, and skips empty lines', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine in the morning, streamed in pieces.' });
    // Typed a line at a time (lines that come in one burst are a paste, one message).
    rig.input.write('what time is it?\n');
    await until(() => modelRig.server.chatRequests().length >= 1);
    rig.input.write('\n/help\n');
    rig.input.end();
    await rig.adapter.done;
    const shown = rig.shown();
    expect(shown).toContain('[using current_time]');
    expect(shown).toContain('It is nine in the morning, streamed in pieces.');
    expect(shown).toContain('/new — start a fresh conversation');
    expect(shown.indexOf('nine in the morning')).toBeLessThan(shown.indexOf('/new —'));
    expect(modelRig.server.chatRequests().every((body) => body.stream === true)).toBe(true);
    expect(cairn.adapter.sent).toHaveLength(0);
  });

  it('says so when the model connection drops mid-answer, and prints the answer that follows', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    let drop!: () => void;
    modelRig.server.enqueue({ stream: ['The answer is', new Promise<void>((resolve) => (drop = resolve))], drop: true }, { text: 'The answer is 42.' });
    rig.input.write('what is it?\n');
    rig.input.end();
    while (!rig.shown().includes('The answer is')) await new Promise((resolve) => setTimeout(resolve, 5));
    drop();
    await rig.adapter.done;
    expect(rig.shown()).toMatch(/The answer is\n.*\[the connection to the model dropped; the answer starts again\].*\nThe answer is 42\.\n/s);
  });

  it('says the streamed text was thinking, not that the connection dropped, when the model closes a </think> the prompt opened', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    // Qwen3 / DeepSeek-R1 chat templates open <think> in the prompt: the stream carries only its end.
    modelRig.server.enqueue({ stream: ['The user asks 2+2. ', 'That is 4.', '</think>', 'The answer is 4.'] });
    rig.input.write('what is 2+2?\n');
    rig.input.end();
    await rig.adapter.done;
    expect(rig.shown()).toMatch(/That is 4\.\n.*\[that was the model's thinking; its answer follows\].*\nThe answer is 4\.\n/s);
    expect(rig.shown()).not.toContain('connection to the model dropped');
    expect(modelRig.server.chatRequests()).toHaveLength(1);
  });

  it('lets the operator /approve a held command while the turn waits', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] }, { text: 'Installer finished.' });
    rig.input.write('run the installer\n');
    let id: string | undefined;
    // Poll (not sleep) for the approval request to appear on screen.
    while (!(id = /\/approve (\S+)/.exec(rig.shown())?.[1])) await new Promise((resolve) => setTimeout(resolve, 5));
    rig.input.write(`/approve ${id}\n`);
    rig.input.end();
    await rig.adapter.done;
    expect(rig.shown()).toContain(`Approved ${id}`);
    expect(rig.shown()).toContain('Installer finished.');
    const toolResult = modelRig.server.chatRequests().at(-1)?.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content).not.toContain('denied');
  });

  it('with piped input refuses a held command at once, saying why (no /approve can be read before the answer)', async () => {
    const rig = consoleRig(false);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: 'curl -s http://127.0.0.1:9/nothing | sh' } }] }, { text: 'It needs approval; run cairn chat in a terminal.' });
    rig.input.write('run the installer\n');
    rig.input.end();
    // Without the fix the turn waits out the approval timeout (minutes): this test would time out.
    await rig.adapter.done;
    expect(rig.shown()).not.toContain('/approve');
    expect(rig.shown()).toContain('It needs approval; run cairn chat in a terminal.');
    const toolResult = modelRig.server.chatRequests().at(-1)?.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content).toContain('Not run');
    expect(toolResult?.content).toContain('nobody can be asked for it here');
  });

  it('puts log lines above the prompt, drawn again after them, and on a line of their own while a reply streams', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    expect(rig.shown()).toBe('you> ');
    rig.adapter.logOutput.write('[09:00:00] WARN: reflection skipped\n');
    expect(rig.noticed()).toMatch(/\(so does Ctrl-D\)\.\n\[09:00:00\] WARN: reflection skipped\n$/);
    // Not a terminal here, so the prompt line ends instead of being cleared, and is drawn again.
    expect(rig.shown()).toBe('you> \nyou> ');

    let release!: () => void;
    modelRig.server.enqueue({ after: new Promise<void>((resolve) => (release = resolve)), then: { text: 'done' } });
    rig.input.write('hello\n');
    while (modelRig.server.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    rig.adapter.progress('console:ada', { type: 'text-delta', text: 'half a repl' });
    rig.adapter.logOutput.write('WARN: slow model\n');
    expect(rig.shown()).toMatch(/half a repl\n$/);
    expect(rig.noticed()).toMatch(/WARN: slow model\n$/);
    release();
    rig.input.end();
    await rig.adapter.done;
  });

  it("writes an answer nobody typed for (a scheduled task's) where the prompt was, then draws the prompt again", async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    rig.adapter.progress('console:ada', { type: 'text-delta', text: 'Reminder: water ' });
    rig.adapter.progress('console:ada', { type: 'text-delta', text: 'the plants.' });
    await rig.adapter.send('console:ada', { text: 'Reminder: water the plants.', endsTurn: true });
    // Not a terminal here, so the prompt line ends instead of being cleared.
    expect(rig.shown()).toBe('you> \nReminder: water the plants.\nyou> ');
    await rig.adapter.send('console:ada', { text: 'Backup done.' });
    expect(rig.shown()).toMatch(/you> \n\S*Backup done\.\S*\nyou> $/);
    rig.input.end();
    await rig.adapter.done;
  });

  it('stops the turn at Ctrl-C and goes on; Ctrl-C at the prompt quits', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ hang: true });
    rig.input.write('write a long essay\n');
    while (modelRig.server.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    rig.adapter.interrupt();
    expect(rig.noticed()).toContain('Stopping… (Ctrl-C again quits)');
    while (!rig.shown().includes('Stopped.')) await new Promise((resolve) => setTimeout(resolve, 5));
    while (!rig.shown().endsWith('you> ')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(rig.shown()).toMatch(/OK, stopping\.\n(you> )?Stopped\. What I did so far stays in this conversation\.\n(you> )+$/);

    rig.input.write('and now?\n');
    // The stopped question goes with the next one (chat templates require user and assistant to alternate).
    while (!rig.shown().includes('echo: write a long essay\n\nand now?')) await new Promise((resolve) => setTimeout(resolve, 5));
    while (!rig.shown().endsWith('you> ')) await new Promise((resolve) => setTimeout(resolve, 5));
    rig.adapter.interrupt();
    await rig.adapter.done;
  });

  it('quits at a second Ctrl-C during a reply, or Ctrl-D, drawing no prompt after it and leaving stdin paused so the process can end', async () => {
    const stopped = consoleRig(true);
    await stopped.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ hang: true });
    stopped.input.write('write a long essay\n');
    await until(() => modelRig.server.chatRequests().length === 1);
    stopped.adapter.interrupt();
    stopped.adapter.interrupt();
    await stopped.adapter.done;
    await until(() => stopped.shown().includes('Stopped.'));
    expect(stopped.input.readableFlowing).not.toBe(true);
    expect(stopped.shown()).not.toMatch(/Stopped\.[^]*you> $/);

    // Ctrl-D in a terminal, while the answer is on its way: it is printed, then the chat ends.
    const ended = consoleRig(true, undefined, true);
    await ended.adapter.start(cairn.gateway.receive);
    let release!: () => void;
    modelRig.server.enqueue({ after: new Promise<void>((resolve) => (release = resolve)), then: { text: 'The essay.' } });
    ended.input.write('write another\r');
    await until(() => modelRig.server.chatRequests().length === 2);
    ended.input.write('\x04');
    release();
    await ended.adapter.done;
    await until(() => ended.shown().includes('The essay.'));
    expect(ended.input.readableFlowing).not.toBe(true);
    expect(ended.shown()).not.toMatch(/The essay\.[^]*you> [^]*$/);
  });

  it('prints the answers of commands that come while a reply streams (/status, the stop), and ends the streamed one', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    let finish!: () => void;
    modelRig.server.enqueue({ stream: ['Once upon a time', new Promise<void>((resolve) => (finish = resolve)), ', the end.'] });
    rig.input.write('write a long essay\n');
    await until(() => rig.shown().includes('Once upon a time'));
    rig.input.write('/status\n');
    await until(() => rig.shown().includes('Turns running now: 1.'));
    finish();
    await until(() => rig.shown().includes(', the end.'));

    modelRig.server.enqueue({ stream: ['A long', new Promise<void>(() => undefined)] });
    rig.input.write('and another\n');
    await until(() => rig.shown().includes('A long'));
    rig.adapter.interrupt();
    await until(() => rig.shown().includes('Stopped. What I did so far stays in this conversation.'));
    expect(rig.shown()).toContain('OK, stopping.');
    rig.input.end();
    await rig.adapter.done;
  });

  it('saves files Cairn sends into its files folder, never over one already there', async () => {
    const filesDir = join(tempDir(), 'files');
    const rig = consoleRig(false, filesDir);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue(
      { toolCalls: [{ name: 'write_file', arguments: { path: 'out/data.txt', content: 'from the environment' } }] },
      { toolCalls: [{ name: 'send_file', arguments: { path: 'out/data.txt', caption: 'Your data.' } }] },
      { toolCalls: [{ name: 'send_file', arguments: { name: 'data.txt', content: 'written by the model' } }] },
      { text: 'Both sent.' },
    );
    rig.input.write('send the data twice\n');
    rig.input.end();
    await rig.adapter.done;
    expect(rig.shown()).toBe(`Your data.\nSaved data.txt to ${join(filesDir, 'data.txt')}\nSaved data.txt to ${join(filesDir, 'data (2).txt')}\nBoth sent.\n`);
    expect(readFileSync(join(filesDir, 'data.txt'), 'utf8')).toBe('from the environment');
    expect(readFileSync(join(filesDir, 'data (2).txt'), 'utf8')).toBe('written by the model');
  });

  it('tells the model that files cannot be sent where the console has no files folder', async () => {
    const rig = consoleRig(false);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ toolCalls: [{ name: 'send_file', arguments: { name: 'a.txt', content: 'a' } }] }, { text: 'Here it is instead: a' });
    rig.input.write('send a file\n');
    rig.input.end();
    await rig.adapter.done;
    const toolResult = modelRig.server.chatRequests().at(-1)?.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content).toContain('Files cannot be sent here (this platform or run takes none); put the content in your answer instead.');
  });

  it('prints exactly one reply line per piped message', async () => {
    const rig = consoleRig(false);
    await rig.adapter.start(cairn.gateway.receive);
    rig.input.end('one\ntwo\n');
    await rig.adapter.done;
    expect(rig.shown()).toBe('echo: one\necho: two\n');
  });
});

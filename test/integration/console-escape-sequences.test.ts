/** Model text reaches the terminal of `cairn chat` shown, never obeyed: no escape sequences, no control characters. */
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';

const modelRig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = modelRig.start();
});

function consoleRig(interactive: boolean) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const adapter = new ConsoleAdapter({ input, output, notices: new PassThrough(), interactive, identity: { user: 'ada', session: 'ada' } });
  cairn.gateway.attach(adapter);
  return { input, adapter, shown: () => shown };
}

const ESC = '\u001b';
const BEL = '\u0007';
// Sets the window title (OSC 0), clears the screen and homes the cursor, writes the clipboard (OSC 52), overwrites the line (\r).
const HOSTILE = `${ESC}]0;pwned${BEL}${ESC}[2J${ESC}[H${ESC}]52;c;cm0gLXJmIH4=${BEL}\rdone`;
const DIM = `${ESC}[2m`;

/** Control characters left once Cairn's own styling (dim, yellow, reset) is taken out. */
function foreignControls(shown: string): string[] {
  // eslint-disable-next-line no-control-regex -- the control characters are what is looked for
  const withoutOwnStyling = shown.replace(/\u001b\[(?:0|2|33)m/g, '');
  // eslint-disable-next-line no-control-regex -- as above
  return withoutOwnStyling.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g) ?? [];
}

describe('escape sequences in what the model writes', () => {
  it('are dropped from a streamed answer, even when split across deltas, while Cairn still dims its own asides', async () => {
    const rig = consoleRig(true);
    await rig.adapter.start(cairn.gateway.receive);
    const cut = HOSTILE.indexOf('52;');
    modelRig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { stream: ['Here you go: ', HOSTILE.slice(0, cut), HOSTILE.slice(cut)] });
    rig.input.write('print the log\n');
    rig.input.end();
    await rig.adapter.done;
    expect(rig.shown()).toContain(`${DIM}[using current_time]`);
    expect(rig.shown()).toContain('Here you go: done');
    expect(foreignControls(rig.shown())).toEqual([]);
  });

  it('are dropped from an answer printed to piped stdout', async () => {
    const rig = consoleRig(false);
    await rig.adapter.start(cairn.gateway.receive);
    modelRig.server.enqueue({ text: `Here you go: ${HOSTILE}` });
    rig.input.end('print the log\n');
    await rig.adapter.done;
    expect(rig.shown()).toBe('Here you go: done\n');
  });
});

/** cairn chat in a terminal that has no colours (NO_COLOR, TERM=dumb): Cairn's own styling is left out too. */
import { PassThrough } from 'node:stream';
import { WriteStream } from 'node:tty';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_MAX_RETRIES: '0' });
});

/** A terminal's stdout as Node makes it, in an environment of `env` (NO_COLOR=1, TERM=dumb). */
function terminalOutput(env: Record<string, string>) {
  const output = new PassThrough();
  Object.assign(output, { isTTY: true, columns: 80, rows: 24, hasColors: (count?: number) => WriteStream.prototype.hasColors.call(output, count ?? 16, env) });
  return output;
}

describe('cairn chat in a terminal without colours', () => {
  for (const env of [{ NO_COLOR: '1', TERM: 'xterm-256color' }, { TERM: 'dumb' }]) {
    it(`writes no colour or dimming where the terminal has none (${JSON.stringify(env)})`, async () => {
      const input = new PassThrough();
      const output = terminalOutput(env);
      let shown = '';
      output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
      const adapter = new ConsoleAdapter({ input, output, notices: new PassThrough(), interactive: true, identity: { user: 'ada', session: 'ada' } });
      cairn.gateway.attach(adapter);
      await adapter.start(cairn.gateway.receive);
      rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' }, { error: { status: 401 } });
      input.write('what time is it?\r');
      while (!shown.includes('It is nine.')) await new Promise((resolve) => setTimeout(resolve, 5));
      input.write('and now?\r');
      while (!/key|auth/i.test(shown)) await new Promise((resolve) => setTimeout(resolve, 5));
      input.write('\x04');
      await adapter.done;
      expect(shown).toContain('[using current_time]');
      // No SGR (colour, dim, reset) at all.
      // eslint-disable-next-line no-control-regex -- the escape sequences are what is looked for
      expect(shown).not.toMatch(/\u001b\[[\d;]*m/);
    });
  }

  it('keeps dimming the asides where the terminal has colours', async () => {
    const input = new PassThrough();
    const output = terminalOutput({ TERM: 'xterm-256color' });
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const adapter = new ConsoleAdapter({ input, output, notices: new PassThrough(), interactive: true, identity: { user: 'ada', session: 'ada' } });
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);
    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    input.write('what time is it?\r');
    while (!shown.includes('It is nine.')) await new Promise((resolve) => setTimeout(resolve, 5));
    input.write('\x04');
    await adapter.done;
    expect(shown).toContain('\u001b[2m[using current_time]\u001b[0m');
  });
});

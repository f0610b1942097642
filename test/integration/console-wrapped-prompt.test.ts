/**
 * cairn chat in a terminal, when output comes while the person types a line longer than the
 * terminal is wide (wide characters fill it sooner): a log line or a scheduled task's answer
 * goes where the prompt was, and the prompt is drawn again below it. What the person sees is
 * checked on a small model of the terminal's screen.
 */
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

/** Wide (two-column) characters: CJK, Hangul, fullwidth forms. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

/** As much of a terminal's screen as readline and the console write to: text, wrapping, cursor moves, erasing. */
class Screen {
  private readonly rows: string[][] = [[]];
  private row = 0;
  private col = 0;

  constructor(private readonly columns: number) {}

  write(text: string): void {
    for (let at = 0; at < text.length; at++) {
      const char = text[at] ?? '';
      if (char === '\u001b') {
        // eslint-disable-next-line no-control-regex -- the escape sequences are what is looked for
        const csi = /^\u001b\[(\??)(\d*)([A-Za-z~])/.exec(text.slice(at));
        if (!csi) throw new Error(`unexpected escape ${JSON.stringify(text.slice(at, at + 8))}`);
        at += csi[0].length - 1;
        if (csi[1] === '?' || csi[3] === 'm') continue;
        this.control(csi[3] ?? '', csi[2] === '' ? 1 : Number(csi[2]));
      } else if (char === '\n') {
        // The pty turns \n into \r\n (ONLCR stays on in Node's raw mode).
        this.row++;
        this.col = 0;
      } else if (char === '\r') {
        this.col = 0;
      } else {
        this.print(char);
      }
    }
  }

  /** The screen's rows, empty ones left out. */
  lines(): string[] {
    return this.rows.map((row) => row.join('').trimEnd()).filter((line) => line !== '');
  }

  private control(final: string, n: number): void {
    if (final === 'G') this.col = n - 1;
    else if (final === 'A') this.row = Math.max(0, this.row - n);
    else if (final === 'B') this.row += n;
    else if (final === 'C') this.col = Math.min(this.columns - 1, this.col + n);
    else if (final === 'D') this.col = Math.max(0, this.col - n);
    else if (final === 'J') {
      this.line().splice(this.col);
      this.rows.splice(this.row + 1);
    } else throw new Error(`unexpected control sequence ${final}`);
  }

  private print(char: string): void {
    const width = WIDE.test(char) ? 2 : 1;
    if (this.col + width > this.columns) {
      this.row++;
      this.col = 0;
    }
    const line = this.line();
    while (line.length < this.col) line.push(' ');
    line[this.col] = char;
    if (width === 2) line[this.col + 1] = '';
    this.col += width;
  }

  private line(): string[] {
    while (this.rows.length <= this.row) this.rows.push([]);
    return this.rows[this.row] ?? [];
  }
}

async function terminal(columns: number) {
  const input = new PassThrough();
  const output = new PassThrough();
  Object.assign(output, { isTTY: true, columns, rows: 24 });
  const screen = new Screen(columns);
  output.on('data', (chunk: Buffer) => screen.write(chunk.toString()));
  // stdout and stderr are the same terminal.
  const adapter = new ConsoleAdapter({ input, output, notices: output, interactive: true, identity: { user: 'ada', session: 'ada' } });
  cairn.gateway.attach(adapter);
  await adapter.start(cairn.gateway.receive);
  /** Types keys one at a time, as a person does. */
  const type = async (text: string) => {
    for (const key of text) {
      input.write(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { input, adapter, screen, type };
}

describe('output that comes while a line longer than the terminal is typed', () => {
  for (const typed of ['please summarise the incident report from last night', '请总结一下昨晚的事故报告并列出所有的后续行动项目谢谢']) {
    it(`stays on screen, with the prompt and the typed line below it once (${typed.slice(0, 6)}…)`, async () => {
      const rig = await terminal(40);
      await rig.type(typed);
      rig.adapter.logOutput.write('WARN: reflection skipped\n');
      await rig.adapter.send('console:ada', { text: 'Reminder: water the plants.' });
      rig.adapter.logOutput.write('WARN: slow model\n');
      const lines = rig.screen.lines();
      // Each was wiped by the prompt's redraw, and a copy of the prompt's first row was left above it.
      expect(lines.slice(-5, -2)).toEqual(['WARN: reflection skipped', 'Reminder: water the plants.', 'WARN: slow model']);
      expect(lines.filter((line) => line.startsWith('you> '))).toHaveLength(1);
      expect(lines.slice(-2).join('')).toBe(`you> ${typed}`);
      // Ctrl-U empties the line, so Ctrl-D quits.
      rig.input.write('\x15\x04');
      await rig.adapter.done;
    });
  }
});

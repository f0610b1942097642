/** Text from a model or a chat user on its way to a terminal: shown, never obeyed. */
import { describe, expect, it } from 'vitest';
import { escapeTerminalControls, stripTerminalControls, TerminalTextFilter } from '../../src/core/terminal-text.js';

const ESC = '\u001b';
const BEL = '\u0007';

describe('stripTerminalControls', () => {
  it('drops whole escape sequences: window title (OSC 0), screen clear (CSI 2J), clipboard write (OSC 52), colours', () => {
    const hostile = `${ESC}]0;pwned${BEL}${ESC}[2J${ESC}[H${ESC}]52;c;cm0gLXJmIH4=${BEL}${ESC}[1;31mred${ESC}[0m done`;
    expect(stripTerminalControls(`Here: ${hostile}`)).toBe('Here: red done');
  });

  it('ends a string at ST (ESC \\ or the C1 ST) as well as BEL, and drops DCS, APC and charset escapes', () => {
    expect(stripTerminalControls(`a${ESC}]8;;https://x.example${ESC}\\b${ESC}P1$r${ESC}\\c${ESC}_apc\u009cd${ESC}(Be${ESC}7f`)).toBe('abcdef');
  });

  it('drops C0 controls but newline and tab, DEL and C1, and 8-bit CSI and OSC sequences whole', () => {
    expect(stripTerminalControls('progress 10%\rprogress 99%\r\nline\ttab\u0008\u007f\u0085')).toBe('progress 10%progress 99%\nline\ttab');
    expect(stripTerminalControls('a\u009b2Jb\u009d0;title\u0007c')).toBe('abc');
  });

  it('keeps the text after a sequence cut short by a character that cannot continue it', () => {
    expect(stripTerminalControls(`a${ESC}[12\nb`)).toBe('a\nb');
    expect(stripTerminalControls(`a${ESC}\u00e9b`)).toBe('a\u00e9b');
  });

  it('leaves text without controls as it is, emoji and all', () => {
    const text = 'Grüße 👋 — `ls -la` [link](https://example.com) \\n';
    expect(stripTerminalControls(text)).toBe(text);
  });
});

describe('TerminalTextFilter', () => {
  it('drops a sequence split across streamed pieces, wherever the cut falls', () => {
    const text = `Here you go: ${ESC}]0;pwned${BEL}${ESC}[2J${ESC}]52;c;cm0gLXJmIH4=${ESC}\\done`;
    for (let cut = 0; cut <= text.length; cut++) {
      const filter = new TerminalTextFilter();
      expect(filter.push(text.slice(0, cut)) + filter.push(text.slice(cut))).toBe('Here you go: done');
    }
  });

  it('forgets a sequence left open at reset, so the next text is shown from its start', () => {
    const filter = new TerminalTextFilter();
    expect(filter.push(`thinking${ESC}]0;never closed`)).toBe('thinking');
    filter.reset();
    expect(filter.push('The answer.')).toBe('The answer.');
  });
});

describe('escapeTerminalControls', () => {
  it('writes control characters out, so the operator sees what was sent and the terminal obeys none of it', () => {
    expect(escapeTerminalControls(`what time is it ${ESC}]0;pwned${BEL}${ESC}[2J`)).toBe('what time is it \\u001b]0;pwned\\u0007\\u001b[2J');
    expect(escapeTerminalControls('report\n\tindented')).toBe('report\n\tindented');
    // A Windows line end is a line end; a lone carriage return would write over the line.
    expect(escapeTerminalControls('line one\r\nline two\rfake')).toBe('line one\r\nline two\\u000dfake');
  });

  it('leaves a JSON line the same JSON (DEL and C1, which JSON leaves raw, become escapes of themselves)', () => {
    const value = { request: `a${ESC}[2J\u009b2J\u007fb`, name: 'Zoë' };
    const line = JSON.stringify(value);
    const printed = escapeTerminalControls(line);
    // eslint-disable-next-line no-control-regex -- the control characters are what is looked for
    expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(printed)).toEqual(value);
  });
});

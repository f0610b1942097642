/**
 * Text from outside (a model's answer, what a chat user wrote) on its way to a terminal. A
 * terminal obeys control characters and escape sequences wherever they appear in what it
 * prints: `ESC ] 0 ; … BEL` retitles the window, `ESC [ 2 J` clears the screen, OSC 52
 * writes the clipboard, `\r` overwrites the line just shown. Such text must be shown, never
 * obeyed. Cairn's own styling (dim asides, yellow errors) is added after this, so it still works.
 */

const ESC = 0x1b;
const BEL = 0x07;
/** String Terminator: ends OSC, DCS, SOS, PM and APC strings, as does ESC \. */
const ST = 0x9c;
/** The 8-bit introducers of a control sequence (CSI) and of strings (OSC, DCS, SOS, PM, APC). */
const C1_CSI = 0x9b;
const C1_STRINGS = new Set([0x9d, 0x90, 0x98, 0x9e, 0x9f]);
/** After ESC, these open a control sequence (`[`) or a string (`]`, `P`, `X`, `^`, `_`). */
const ESC_CSI = 0x5b;
const ESC_STRINGS = new Set([0x5d, 0x50, 0x58, 0x5e, 0x5f]);

type State =
  /** Plain text. */
  | 'text'
  /** Just after ESC. */
  | 'escape'
  /** ESC and intermediate bytes (`ESC ( B`), waiting for the final byte. */
  | 'escape-intermediate'
  /** Inside a control sequence, waiting for its final byte (`ESC [ 2 J`). */
  | 'control-sequence'
  /** Inside an OSC/DCS/SOS/PM/APC string, waiting for BEL or ST. */
  | 'string'
  /** ESC inside a string: `\` ends the string; anything else starts a new sequence. */
  | 'string-escape';

/** A control character a terminal would act on: C0 other than newline and tab, DEL, and C1. */
export function isControlCharacter(code: number): boolean {
  return (code < 0x20 && code !== 0x0a && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
}

/**
 * Drops control characters and whole escape sequences from text that arrives in pieces (a
 * streamed answer). A sequence split between two pieces is still dropped whole: the filter
 * remembers where in a sequence the last piece ended, and holds back no text.
 */
export class TerminalTextFilter {
  private state: State = 'text';

  push(piece: string): string {
    let shown = '';
    let runStart = 0;
    for (let index = 0; index < piece.length; index++) {
      const code = piece.charCodeAt(index);
      if (this.state === 'text') {
        if (!isControlCharacter(code)) continue;
        // Plain text is copied in runs, not character by character.
        shown += piece.slice(runStart, index);
        runStart = index + 1;
        this.state = code === ESC ? 'escape' : code === C1_CSI ? 'control-sequence' : C1_STRINGS.has(code) ? 'string' : 'text';
        continue;
      }
      if (this.step(code)) {
        runStart = index + 1;
        continue;
      }
      // The sequence was cut short by a character that is no part of it: that character is read as text again.
      this.state = 'text';
      runStart = index;
      index--;
    }
    if (this.state === 'text') shown += piece.slice(runStart);
    return shown;
  }

  /** The text is over: a sequence it left unfinished is forgotten, so the next text starts clean. */
  reset(): void {
    this.state = 'text';
  }

  /** Moves through a sequence; false when `code` cannot continue it (the sequence is dropped and `code` read as text). */
  private step(code: number): boolean {
    switch (this.state) {
      case 'escape':
        if (code === ESC_CSI) this.state = 'control-sequence';
        else if (ESC_STRINGS.has(code)) this.state = 'string';
        else if (code >= 0x20 && code <= 0x2f) this.state = 'escape-intermediate';
        else if (code >= 0x30 && code <= 0x7e) this.state = 'text';
        else return false;
        return true;
      case 'escape-intermediate':
        if (code >= 0x30 && code <= 0x7e) this.state = 'text';
        else if (code < 0x20 || code > 0x2f) return false;
        return true;
      case 'control-sequence':
        // Parameter and intermediate bytes (0x20–0x3f) go on; a final byte (0x40–0x7e) ends it.
        if (code >= 0x40 && code <= 0x7e) this.state = 'text';
        else if (code < 0x20 || code > 0x3f) return false;
        return true;
      case 'string':
        if (code === BEL || code === ST) this.state = 'text';
        else if (code === ESC) this.state = 'string-escape';
        return true;
      case 'string-escape':
        if (code === 0x5c) {
          this.state = 'text';
          return true;
        }
        // An ESC that is not ST ends the string and begins a sequence of its own.
        this.state = 'escape';
        return this.step(code);
      default:
        return false;
    }
  }
}

/** `text` with control characters and escape sequences dropped: what a terminal may show as it is. */
export function stripTerminalControls(text: string): string {
  return new TerminalTextFilter().push(text);
}

/**
 * `text` with each control character written out as `\u001b`, so an operator sees what a chat
 * user sent instead of their terminal obeying it. A JSON line stays the same JSON: the only
 * control characters JSON leaves raw (DEL and C1, inside strings) become escapes of themselves.
 */
export function escapeTerminalControls(text: string): string {
  let escaped = '';
  let runStart = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // A Windows line end (a CRLF SKILL.md shown by `cairn skills show`) moves nothing a line ending would not.
    if (!isControlCharacter(code) || (code === 0x0d && text.charCodeAt(index + 1) === 0x0a)) continue;
    escaped += `${text.slice(runStart, index)}\\u${code.toString(16).padStart(4, '0')}`;
    runStart = index + 1;
  }
  return runStart === 0 ? text : escaped + text.slice(runStart);
}

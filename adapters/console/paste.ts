/**
 * Lines read at the console's prompt, gathered into messages. A terminal in bracketed paste
 * mode marks a paste with ESC[200~ … ESC[201~: its lines are held, as one message, until
 * Enter is pressed after it, so a paste whose last line has no newline (text selected in an
 * editor) waits for the person instead of going out without it. A terminal that does not mark
 * pastes sends one in a single burst: lines that come in one turn of the event loop are taken
 * as a paste, since a person types one line at a time.
 *
 * The lines become one message each only when every one of them is a command (`/new` and
 * `/status` pasted together). A question with a stack trace is one message, though lines of
 * it start with `/` (`/home/ada/app.js:3`, the path Node prints first when a script crashes).
 */
import { parseCommand } from '../../src/core/commands.js';

/** Turns bracketed paste mode on in the terminal, and off again: left on, the shell after Cairn would get the markers around every paste. */
export const BRACKETED_PASTE_ON = '\u001b[?2004h';
export const BRACKETED_PASTE_OFF = '\u001b[?2004l';

export interface PastedLinesOptions {
  /** Whether `/name` is a command Cairn has (a line like `/tmp is full` is not one). */
  isCommand: (name: string) => boolean;
  /** The messages the lines make, in order; none when they were all blank. */
  send: (messages: string[]) => void;
}

export class PastedLines {
  private lines: string[] = [];
  /** Between ESC[200~ and ESC[201~. */
  private pasting = false;
  /** Enter was pressed outside a paste: the lines go out after this turn of the event loop. */
  private sendQueued = false;

  constructor(private readonly options: PastedLinesOptions) {}

  pasteStarted(): void {
    this.pasting = true;
  }

  pasteEnded(): void {
    this.pasting = false;
  }

  /** The line is part of a paste still coming in (not the Enter that sends it). */
  get inPaste(): boolean {
    return this.pasting;
  }

  /** readline read a line: Enter was pressed, or a paste carried a line break. */
  add(line: string): void {
    this.lines.push(line);
    if (this.pasting || this.sendQueued) return;
    this.sendQueued = true;
    setImmediate(() => {
      this.sendQueued = false;
      // A paste began in the same burst: its Enter sends all of it.
      if (!this.pasting) this.sendHeld();
    });
  }

  /** The input closed: lines Enter was pressed for go out; a paste nobody pressed Enter after does not, as a half-typed line does not. */
  close(): void {
    if (this.sendQueued) this.sendHeld();
    this.lines = [];
  }

  private sendHeld(): void {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.options.send(messagesOf(lines, this.options.isCommand));
  }
}

/** The messages `lines` make: each line when all (not blank) are commands, else one message of them all. */
export function messagesOf(lines: readonly string[], isCommand: (name: string) => boolean): string[] {
  const text = lines.join('\n').replace(/^\s*\n|\s+$/g, '');
  if (text.trim() === '') return [];
  const filled = lines.filter((line) => line.trim() !== '');
  const allCommands = filled.length > 1 && filled.every((line) => {
    const command = parseCommand(line);
    return command !== undefined && isCommand(command.name);
  });
  return allCommands ? filled : [text];
}

/**
 * A terminal for `cairn setup`'s tests: keystrokes into the real @inquirer prompts, each answer
 * typed once its question shows, and the screen kept (colours taken out) to look at after.
 */
import { PassThrough, Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';

export const DOWN = '\x1b[B';
export const UP = '\x1b[A';
export const ENTER = '\r';

/**
 * The terminal's screen. Each prompt pipes its output here and ends that pipe when done,
 * which would end any stream but stdout: this one stays open, as stdout does.
 */
class Screen extends Writable {
  constructor(private readonly onText: (text: string) => void) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.onText(chunk.toString());
    done();
  }

  override end(): this {
    return this;
  }
}

/** A terminal whose answers are typed when their question shows. */
export class ScriptedTerminal {
  readonly input = new PassThrough();
  readonly output = new Screen((text) => {
    this.screen += stripVTControlCharacters(text);
    this.type();
  });
  private screen = '';
  /** Where the screen stood when the last answer was typed: the next question shows after it. */
  private from = 0;
  private readonly script: { question: string; keys: string; optional: boolean }[] = [];

  answer(question: string, keys: string): this {
    this.script.push({ question, keys, optional: false });
    return this;
  }

  /** An answer to a question that may not be asked: the script goes on when a later one shows instead. */
  maybe(question: string, keys: string): this {
    this.script.push({ question, keys, optional: true });
    return this;
  }

  /** Questions the script did not reach. */
  unanswered(): string[] {
    return this.script.map((step) => step.question);
  }

  /** All the prompts showed, their colours taken out. */
  dump(): string {
    return this.screen;
  }

  /** Keys of an answer are being typed: the prompt redrawing itself as they echo is no new question. */
  private typing = false;

  private type(): void {
    if (this.typing) return;
    // The next answer in order; a step marked optional (its question may not come) is skipped when a later one shows.
    const shown = this.screen.slice(this.from);
    const index = this.script.findIndex((step, at) => shown.includes(`? ${step.question}`) && this.script.slice(0, at).every((skipped) => skipped.optional));
    const next = this.script[index];
    if (!next) return;
    this.script.splice(0, index + 1);
    this.typing = true;
    // The prompt listens for keys once it has drawn itself; each key on its own, as typed.
    const keys = keystrokes(next.keys);
    const typeNext = () => {
      const key = keys.shift();
      if (key === undefined) return;
      // What shows after the last key (the next question, or this one again with an error) is looked at; the echo before it is not.
      if (keys.length === 0) {
        this.from = this.screen.length;
        this.typing = false;
      }
      this.input.write(key);
      if (keys.length === 0) setImmediate(() => this.type());
      else setImmediate(typeNext);
    };
    setImmediate(typeNext);
  }
}

/** Typed text as keystrokes: an arrow key (ESC [ A, ESC [ B) is one. */
function keystrokes(typed: string): string[] {
  const keys: string[] = [];
  for (let at = 0; at < typed.length; at++) {
    const arrow = typed[at] === '\x1b';
    keys.push(arrow ? typed.slice(at, at + 3) : (typed[at] ?? ''));
    if (arrow) at += 2;
  }
  return keys;
}


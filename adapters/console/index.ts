/**
 * The console adapter behind `cairn chat`. In a terminal it is an interactive chat
 * with streamed replies; with piped input it reads one message per line and prints
 * one reply per message, in order (an error goes to stderr, and `failedReplies` counts it so
 * the chat can exit non-zero). Lines are read as bytes so invalid UTF-8 is reported instead
 * of silently mangled. What the model writes is shown, never obeyed: control characters and
 * escape sequences are dropped from it (render.ts, terminal-text.ts).
 */
import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import type { WriteStream } from 'node:tty';
import { mkdir, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Adapter, AdapterCapabilities, InboundSink, OutboundReply, TurnEvent } from '../../src/core/message.js';
import { stripTerminalControls, TerminalTextFilter } from '../../src/core/terminal-text.js';
import { decodeLine, isClosedOutput } from './errors.js';
import { normalizeLine, type ConsoleIdentity } from './normalize.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PastedLines } from './paste.js';
import { renderReply, renderTextReset, renderToolCall } from './render.js';
import { ResizeHold } from './resize-hold.js';

export interface ConsoleAdapterOptions {
  input: Readable;
  output: Writable;
  /** Where notices go (stderr), so piped stdout carries replies only. */
  notices: Writable;
  interactive: boolean;
  identity: ConsoleIdentity;
  /** Where files Cairn sends are saved (made on the first one); without it the console takes none. */
  filesDir?: string;
  /** Whether `/name` is a command Cairn has, so pasted lines split into messages only when each is one (default: any `/word`). */
  isCommand?: (name: string) => boolean;
  now?: () => Date;
}

export class ConsoleAdapter implements Adapter {
  readonly platform = 'console';
  readonly capabilities: AdapterCapabilities;
  /** Resolves when the input has ended and every message was answered. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** The turn's text as the model streamed it (compared with the answer that ends the turn). */
  private streamed = '';
  /** What of `streamed` the terminal may show: an escape sequence split across deltas is still dropped whole. */
  private readonly streamedShown = new TerminalTextFilter();
  private failed = 0;
  private stopped = false;
  /** Cairn's own styling (dim asides, yellow errors) is used: in a terminal that has colours (not NO_COLOR, not TERM=dumb). */
  private readonly color: boolean;
  private closeInput: (() => void) | undefined;
  private prompt: Interface | undefined;
  /** The prompt is drawn and waits for a line (no turn of ours is writing). */
  private atPrompt = false;
  /** The last text written to the output did not end its line (a reply streaming in). */
  private midLine = false;
  private sink: InboundSink | undefined;
  /** Ctrl-C was pressed during this turn: the next one quits. */
  private stopAsked = false;
  /** Lines typed whose handling has not finished: a turn runs while any does, though the prompt is drawn. */
  private linesInFlight = 0;
  /** A reply nobody typed for (a scheduled task's) took the prompt's place; it is drawn again after it. */
  private promptTaken = false;
  /** The prompt reader closed (Ctrl-D, Ctrl-C to quit): no prompt is drawn again, which would read stdin anew and keep the process alive. */
  private inputClosed = false;
  /** `/deny <id>` of each approval this turn asked for: refused when the person leaves, as nobody could answer it then. */
  private readonly unansweredDenials = new Set<string>();
  /** How many rows below the prompt's first row the cursor was when output took the prompt's place (a long line typed wraps). */
  private promptRows = 0;
  /** readline redraws its prompt on a terminal resize; while a turn writes, that would land in the answer. */
  private resize: ResizeHold | undefined;

  /**
   * Where log lines go during the chat: in a terminal, above the prompt, which is drawn
   * again with what was typed so far, so a warning from a background job never lands
   * in the middle of the line being typed.
   */
  readonly logOutput = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      this.writeLog(chunk.toString());
      done();
    },
  });

  constructor(private readonly options: ConsoleAdapterOptions) {
    this.capabilities = {
      threads: false,
      edits: false,
      reactions: false,
      typing: false,
      streaming: options.interactive,
      maxMessageLength: Number.POSITIVE_INFINITY,
      ...(options.filesDir ? { maxFileBytes: 100 * 1024 * 1024 } : {}),
      // Piped input is read a line at a time after each answer: an /approve could never come.
      hearsDuringTurn: options.interactive,
    };
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    // A terminal's stdout says whether it has colours (Node reads NO_COLOR, FORCE_COLOR and TERM for it).
    const terminal = options.output as Partial<Pick<WriteStream, 'hasColors'>>;
    this.color = options.interactive && (terminal.hasColors?.() ?? true);
    // A pipe whose reader went away reports EPIPE as an event, not a throw.
    options.output.on('error', (error) => {
      if (isClosedOutput(error)) void this.stop();
    });
  }

  /** Replies that were errors (a failed turn, a refused message): piped chat exits non-zero after any. */
  get failedReplies(): number {
    return this.failed;
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    if (this.options.interactive) this.runInteractive(sink);
    else void this.runPiped(sink);
  }

  /**
   * Ctrl-C in the terminal. While Cairn works on a message it stops that turn, as /stop
   * does, and the chat goes on; at the prompt, or pressed a second time, it quits.
   */
  interrupt(): void {
    // The prompt is drawn again once a line typed during a turn (/approve, /status) is answered,
    // while the turn goes on: that turn is still ours to stop, not a reason to quit.
    const working = !this.atPrompt || this.linesInFlight > 0;
    if (!working || this.stopAsked || !this.sink) {
      this.closeInput?.();
      return;
    }
    this.stopAsked = true;
    this.takePrompt();
    if (this.midLine) this.write('\n');
    this.notice('Stopping… (Ctrl-C again quits)');
    void this.deliver(this.sink, '/stop');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeInput?.();
  }

  async send(_conversationId: string, reply: OutboundReply): Promise<void> {
    if (reply.files?.length) return this.save(reply);
    const color = this.color;
    // The turn's answer, already on screen as it streamed, only ends its line. Anything else
    // (the answer of /status typed meanwhile, "Stopped.") is printed whole, on a line of its own.
    // An answer cut at the output limit streamed all but the note the agent adds to it: only that note is printed.
    const streamed = this.streamed.trim();
    const streamedAnswer = reply.endsTurn === true && !reply.isError && streamed !== '' && reply.text.trim().startsWith(streamed);
    const rest = streamedAnswer ? reply.text.trim().slice(streamed.length).trim() : '';
    if (reply.endsTurn) {
      this.restartStream();
      // The turn is over, and with it whatever it asked the person (approvals).
      this.unansweredDenials.clear();
    }
    for (const button of reply.buttons ?? []) if (button.command.startsWith('/deny ')) this.unansweredDenials.add(button.command);
    if (reply.isError) this.failed++;
    // Piped stdout carries answers only: a script reading it must not take an error for one.
    if (reply.isError && !this.options.interactive) return this.notice(renderReply(reply, false));
    this.takePrompt();
    if (!streamedAnswer) this.write(`${this.midLine ? '\n' : ''}${renderReply(reply, color)}\n`);
    else this.write(rest ? `\n\n${renderReply({ ...reply, text: rest }, color)}\n` : '\n');
    this.givePromptBack();
  }

  /** Files are saved under filesDir, never over an existing file; the caption and where each went are printed. */
  private async save(reply: OutboundReply): Promise<void> {
    const dir = this.options.filesDir;
    if (!dir) throw new Error('The console takes no files here.');
    await mkdir(dir, { recursive: true });
    const lines = reply.text.trim() ? [reply.text.trim()] : [];
    for (const file of reply.files ?? []) lines.push(`Saved ${file.name} to ${await writeNew(dir, file.name, file.bytes)}`);
    this.takePrompt();
    this.write(`${stripTerminalControls(lines.join('\n'))}\n`);
    this.givePromptBack();
  }

  progress(_conversationId: string, event: TurnEvent): void {
    if (event.type === 'text-delta' || event.type === 'tool-call') this.takePrompt();
    if (event.type === 'text-delta') {
      this.streamed += event.text;
      this.write(this.streamedShown.push(event.text));
    } else if (event.type === 'text-reset' && this.streamed !== '') {
      // Printed text cannot be taken back: say that the answer starts over below it.
      this.write(`${this.midLine ? '\n' : ''}${renderTextReset(event.reason, this.color)}\n`);
      this.restartStream();
    } else if (event.type === 'tool-call' && this.options.interactive) {
      this.write(`${this.midLine ? '\n' : ''}${renderToolCall(event.name, this.color)}\n`);
      this.restartStream();
    }
  }

  /** The next delta starts new text; an escape sequence the last one left open does not swallow its start. */
  private restartStream(): void {
    this.streamed = '';
    this.streamedShown.reset();
  }

  private runInteractive(sink: InboundSink): void {
    const rl = this.resizeHeld(() => createInterface({ input: this.options.input, output: this.options.output, prompt: 'you> ' }));
    this.prompt = rl;
    this.closeInput = () => rl.close();
    rl.on('SIGINT', () => this.interrupt());
    this.notice(`Talking to Cairn as ${this.options.identity.user}. /help lists commands; Ctrl-C stops a reply, and at the prompt quits (so does Ctrl-D).`);
    const showPrompt = (): void => {
      if (this.inputClosed) return;
      this.atPrompt = true;
      this.stopAsked = false;
      this.resize?.release();
      rl.prompt();
    };
    showPrompt();
    let pending = Promise.resolve();
    const send = (text: string): void => {
      // Lines go in as they are typed: the gateway keeps a conversation's turns in order,
      // and an immediate command (/approve while a turn waits for it) can overtake them.
      this.linesInFlight++;
      const delivery = this.deliver(sink, text).finally(() => {
        this.linesInFlight--;
        if (!this.stopped) showPrompt();
      });
      pending = Promise.all([pending, delivery]).then(() => undefined);
    };
    // A pasted question with its stack trace is one message (see paste.ts).
    const pasted = new PastedLines({
      isCommand: this.options.isCommand ?? (() => true),
      send: (messages) => (messages.length === 0 ? showPrompt() : messages.forEach(send)),
    });
    const onKeypress = (_text: string | undefined, key: { name?: string } | undefined): void => {
      if (key?.name === 'paste-start') pasted.pasteStarted();
      else if (key?.name === 'paste-end') pasted.pasteEnded();
    };
    // readline reads keys only in a terminal; there the terminal marks pastes, once asked to.
    if (rl.terminal) {
      this.options.input.on('keypress', onKeypress);
      this.writeOut(BRACKETED_PASTE_ON);
    }
    rl.on('line', (line) => {
      // A line of a paste still coming in: the prompt stays, and the paste waits for Enter.
      if (!pasted.inPaste) {
        this.atPrompt = false;
        this.resize?.hold();
      }
      pasted.add(line);
    });
    rl.on('close', () => {
      this.inputClosed = true;
      if (rl.terminal) {
        this.options.input.off('keypress', onKeypress);
        this.writeOut(BRACKETED_PASTE_OFF);
      }
      pasted.close();
      // Nobody is left to answer an approval the turn waits on: it is refused now, not at its timeout.
      for (const denial of this.unansweredDenials) send(denial);
      this.unansweredDenials.clear();
      void pending.finally(() => this.resolveDone());
    });
  }

  private async runPiped(sink: InboundSink): Promise<void> {
    let lineNumber = 0;
    let buffered: Buffer[] = [];
    const input = this.options.input;
    this.closeInput = () => input.destroy();
    try {
      for await (const chunk of input) {
        let data = chunk as Buffer;
        for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10)) {
          buffered.push(data.subarray(0, newline));
          data = data.subarray(newline + 1);
          await this.deliverBytes(sink, Buffer.concat(buffered), ++lineNumber);
          buffered = [];
          if (this.stopped) return;
        }
        if (data.length > 0) buffered.push(data);
      }
      const rest = Buffer.concat(buffered);
      if (rest.length > 0 && !this.stopped) await this.deliverBytes(sink, rest, ++lineNumber);
    } catch (error) {
      if (!this.stopped) this.notice(`Reading input failed: ${(error as Error).message}`);
    } finally {
      this.resolveDone();
    }
  }

  private async deliverBytes(sink: InboundSink, bytes: Buffer, lineNumber: number): Promise<void> {
    const { text, invalidUtf8 } = decodeLine(bytes);
    if (invalidUtf8) this.notice(`Line ${lineNumber} is not valid UTF-8; the invalid bytes were replaced with \uFFFD.`);
    await this.deliver(sink, text);
  }

  private async deliver(sink: InboundSink, line: string): Promise<void> {
    await sink(normalizeLine(line, this.options.identity, this.options.now?.() ?? new Date()));
  }

  /** Runs `create` (which makes the readline interface) and keeps aside the resize listeners it added to the output. */
  private resizeHeld<T>(create: () => T): T {
    const output = this.options.output;
    const before = new Set(output.listeners('resize'));
    const created = create();
    const added = output.listeners('resize').filter((listener) => !before.has(listener)) as ((...args: unknown[]) => void)[];
    this.resize = new ResizeHold(output, added);
    return created;
  }

  /** Output that comes while the prompt waits (a scheduled task's answer) goes where the prompt was. */
  private takePrompt(): void {
    const rl = this.prompt;
    if (!rl || !this.atPrompt || this.stopped) return;
    this.atPrompt = false;
    this.promptTaken = true;
    this.resize?.hold();
    this.promptRows = this.clearPrompt(rl);
  }

  /** The prompt again, with what was typed so far, once that output is written. */
  private givePromptBack(): void {
    if (!this.promptTaken || this.stopped || this.inputClosed) return;
    this.promptTaken = false;
    this.atPrompt = true;
    this.resize?.release();
    if (this.prompt) this.drawPrompt(this.prompt, this.promptRows);
  }

  /**
   * Wipes the prompt and the line typed so far, which wraps over several rows when it is longer
   * than the terminal is wide (wide characters fill it sooner): from its first row, not only the
   * cursor's, or the rows above stay on screen. Returns how many rows the cursor was below that first row.
   */
  private clearPrompt(rl: Interface): number {
    if (!rl.terminal) {
      this.write('\n');
      return 0;
    }
    const output = this.options.output;
    const { rows } = rl.getCursorPos();
    moveCursor(output, 0, -rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    return rows;
  }

  /**
   * Draws the prompt again below what was written in its place. readline redraws it by first going
   * up as many rows as the cursor was below the prompt's first row (`rows`): that many empty rows are
   * left for it, or it would wipe the last lines just written.
   */
  private drawPrompt(rl: Interface, rows: number): void {
    if (rl.terminal && rows > 0) this.writeOut('\n'.repeat(rows));
    rl.prompt(true);
  }

  private writeLog(line: string): void {
    const rl = this.prompt;
    if (rl && this.atPrompt && !this.stopped) {
      const rows = this.clearPrompt(rl);
      this.options.notices.write(line);
      this.drawPrompt(rl, rows);
      return;
    }
    if (this.midLine) this.write('\n');
    this.options.notices.write(line);
  }

  private write(text: string): void {
    if (text.length > 0) this.midLine = !text.endsWith('\n');
    this.writeOut(text);
  }

  /** Writes as it is: a terminal mode sequence, which moves no cursor, goes here directly. */
  private writeOut(text: string): void {
    try {
      this.options.output.write(text);
    } catch (error) {
      if (!isClosedOutput(error)) throw error;
      void this.stop();
    }
  }

  private notice(text: string): void {
    this.options.notices.write(`${text}\n`);
  }
}

/** Writes `bytes` as `name` in `dir`, or `name (2)`, `name (3)`… when taken (the `wx` flag never replaces a file); returns the path. */
async function writeNew(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const extension = extname(name);
  const stem = name.slice(0, name.length - extension.length);
  for (let copy = 1; ; copy++) {
    const path = join(dir, copy === 1 ? name : `${stem} (${copy})${extension}`);
    try {
      await writeFile(path, bytes, { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

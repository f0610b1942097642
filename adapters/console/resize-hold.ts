/**
 * readline redraws its prompt and the line typed so far whenever the terminal is resized.
 * While a turn writes its answer there is no prompt on screen, and that redraw would wipe
 * the line being streamed and draw `you> ` into the middle of the answer: readline's resize
 * listeners are taken off the output for that time and put back with the prompt.
 */
import type { Writable } from 'node:stream';

type Listener = (...args: unknown[]) => void;

export class ResizeHold {
  private held = false;

  constructor(
    private readonly output: Writable,
    private readonly listeners: readonly Listener[],
  ) {}

  hold(): void {
    if (this.held) return;
    this.held = true;
    for (const listener of this.listeners) this.output.off('resize', listener);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    for (const listener of this.listeners) this.output.on('resize', listener);
  }
}

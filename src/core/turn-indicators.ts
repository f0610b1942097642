/**
 * What a chat shows while a turn runs, shared by the adapters: a typing indicator
 * re-sent every few seconds (platforms let it lapse) and, if the turn runs long, one
 * short progress note. Adapters say how to type and how to post; timers are
 * injectable so tests fire them by hand.
 */
import type { TurnEvent } from './message.js';

/** Runs `fire` after `ms`; returns a function that cancels it. */
export type Timer = (ms: number, fire: () => void) => () => void;

/** A real timer that never keeps the process alive on its own. */
export const unrefTimer: Timer = (ms, fire) => {
  const handle = setTimeout(fire, ms);
  handle.unref();
  return () => clearTimeout(handle);
};

export interface TurnIndicatorOptions {
  typingEveryMs: number;
  progressAfterMs: number;
  timer: Timer;
  /** Shows "typing…" in the conversation; failures are the adapter's to swallow. */
  typing(conversationId: string): void;
  /** Posts the one progress note of a long turn. */
  progress(conversationId: string): void;
}

interface Running {
  cancelTyping: () => void;
  cancelProgress: () => void;
}

export class TurnIndicators {
  private readonly running = new Map<string, Running>();

  constructor(private readonly options: TurnIndicatorOptions) {}

  /** Feed every TurnEvent of the adapter here: the first starts the indicators, `done` stops them. */
  event(conversationId: string, event: TurnEvent): void {
    if (event.type === 'done') return this.stop(conversationId);
    if (this.running.has(conversationId)) return;
    const entry: Running = { cancelTyping: () => {}, cancelProgress: () => {} };
    this.running.set(conversationId, entry);
    const type = () => {
      this.options.typing(conversationId);
      entry.cancelTyping = this.options.timer(this.options.typingEveryMs, () => {
        if (this.running.get(conversationId) === entry) type();
      });
    };
    type();
    entry.cancelProgress = this.options.timer(this.options.progressAfterMs, () => {
      if (this.running.get(conversationId) === entry) this.options.progress(conversationId);
    });
  }

  stop(conversationId: string): void {
    const entry = this.running.get(conversationId);
    if (!entry) return;
    entry.cancelTyping();
    entry.cancelProgress();
    this.running.delete(conversationId);
  }

  stopAll(): void {
    for (const conversationId of [...this.running.keys()]) this.stop(conversationId);
  }
}

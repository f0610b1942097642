/** A model port that holds each answer until the test releases it, or answers at once once opened (note extraction at shutdown). */
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';

export class HeldModel implements ModelClient {
  /** The last message of each request, as the model was asked. */
  readonly asked: string[] = [];
  private readonly held: (() => void)[] = [];
  private opened = false;

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const last = request.messages.at(-1);
    const text = last && 'content' in last ? String(last.content) : '';
    this.asked.push(text);
    if (!this.opened) await new Promise<void>((resolve) => this.held.push(resolve));
    return { text: `re: ${text}`, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'held', provider: 'test' };
  }

  /** Answers every call held, and every later one at once. */
  open(): void {
    this.opened = true;
    for (const release of this.held.splice(0)) release();
  }
}

/** Lets loopback I/O and queued callbacks run (no timers) until `check` holds; fails naming `what` when it has not within 5 s. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

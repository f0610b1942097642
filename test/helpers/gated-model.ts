/** A model port whose answers the test releases one by one, to observe the order of turns. */
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';

export class GatedModel implements ModelClient {
  /** The last message of each request, as the model was asked. */
  readonly started: string[] = [];
  private readonly gates: (() => void)[] = [];

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const last = request.messages.at(-1);
    const text = last && 'content' in last ? String(last.content) : '';
    this.started.push(text);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return { text: `re: ${text}`, toolCalls: [], finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'gated', provider: 'test' };
  }

  release(): void {
    this.gates.shift()?.();
  }

  async until(count: number): Promise<void> {
    while (this.started.length < count) await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Explicit stop conditions for the tool loop (after the AI SDK's `stopWhen`): each
 * looks at the loop's state after a step and names why to stop, or says nothing.
 */
export interface LoopState {
  /** Model calls made so far in this turn. */
  steps: number;
  toolCalls: number;
  toolErrors: number;
  /** Tool errors in a row, reset by any success. */
  consecutiveToolErrors: number;
}

export type StopCondition = (state: LoopState) => string | undefined;

export const maxSteps =
  (limit: number): StopCondition =>
  (state) =>
    state.steps >= limit ? `reached the limit of ${limit} steps` : undefined;

export const maxConsecutiveToolErrors =
  (limit: number): StopCondition =>
  (state) =>
    state.consecutiveToolErrors >= limit ? `${limit} tool calls in a row failed` : undefined;

export function firstStopReason(conditions: readonly StopCondition[], state: LoopState): string | undefined {
  for (const condition of conditions) {
    const reason = condition(state);
    if (reason) return reason;
  }
  return undefined;
}

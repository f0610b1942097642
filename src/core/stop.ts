/**
 * Explicit stop conditions for the tool loop (after the AI SDK's `stopWhen`): each
 * looks at the loop's state after a step and names why to stop, or says nothing.
 */
export interface LoopState {
  /** Model calls made so far in this turn. */
  steps: number;
  toolCalls: number;
  toolErrors: number;
  /**
   * Steps in a row in which every tool call failed, reset by a step with any success. Counted in
   * steps, not calls: five parallel guesses that all fail are one mistake the model can correct.
   */
  consecutiveFailedSteps: number;
}

export type StopCondition = (state: LoopState) => string | undefined;

export const maxSteps =
  (limit: number): StopCondition =>
  (state) =>
    state.steps >= limit ? `reached the limit of ${limit} steps` : undefined;

/** Stops a model that keeps failing, step after step, however many calls each step makes. */
export const maxConsecutiveFailedSteps =
  (limit: number): StopCondition =>
  (state) =>
    state.consecutiveFailedSteps >= limit ? `every tool call failed in ${limit} steps in a row` : undefined;

export function firstStopReason(conditions: readonly StopCondition[], state: LoopState): string | undefined {
  for (const condition of conditions) {
    const reason = condition(state);
    if (reason) return reason;
  }
  return undefined;
}

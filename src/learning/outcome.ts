/** The outcome a turn's tool calls suggest, before reflection or the user say more. */
import type { TurnResult } from '../core/agent.js';
import type { Outcome, OutcomeSource } from './tasks.js';

export function outcomeFromTools(result: Pick<TurnResult, 'stopReason' | 'toolCalls'>): { outcome: Outcome; source: OutcomeSource } {
  if (result.toolCalls.length === 0) return { outcome: 'unknown', source: 'none' };
  // A loop cut off by a stop condition did not finish the job.
  if (result.stopReason !== 'answered') return { outcome: 'failure', source: 'tools' };
  const last = result.toolCalls.at(-1);
  if (last && !last.ok) return { outcome: 'failure', source: 'tools' };
  // Errors it recovered from leave the result open; a clean run counts as success.
  if (result.toolCalls.some((call) => !call.ok)) return { outcome: 'unknown', source: 'tools' };
  return { outcome: 'success', source: 'tools' };
}

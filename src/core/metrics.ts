/**
 * What Cairn counts for the people who run it: messages and turns by outcome, model calls
 * with their tokens and cost, tool calls. The core reports here; an exporter keeps the
 * numbers (src/metrics: Prometheus at /metrics, when CAIRN_METRICS is on). Reporting never
 * fails a turn.
 */
import type { CallRecord } from '../model/types.js';
import type { ToolCallRecord } from './agent.js';

export interface Metrics {
  /** A message the gateway handled, and how (`turn`, `command`, `denied`, …: the gateway's outcomes). */
  message(platform: string, outcome: string): void;
  /** A turn ended (`turn`, `failed`, `stopped`) after `seconds`, its reply sent. */
  turn(platform: string, outcome: string, seconds: number): void;
  /** A model call of any purpose, ok or failed (the usage ledger's row). */
  modelCall(call: CallRecord): void;
  toolCall(call: ToolCallRecord): void;
  /** How many turns run now: read when the numbers are collected. */
  runningTurns(count: () => number): void;
  /** How many messages wait for their conversation's turn (not started): read when the numbers are collected. */
  waitingMessages(count: () => number): void;
  /** How many turns wait for room under the cap on turns running at once (turn-slots.ts): read when the numbers are collected. */
  turnsWaitingForRoom(count: () => number): void;
  /**
   * Whether each platform's connection is up (false once it stopped for good) and whether it has a problem now, lasting
   * or not (reconnecting, another instance polls): read when the numbers are collected.
   */
  platformsUp(states: () => { platform: string; up: boolean; problem: boolean }[]): void;
  /** A platform joined: its series start at zero, so the first failure after a start shows as an increase. */
  platformAttached(platform: string): void;
}

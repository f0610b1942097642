/**
 * The ledger row of a call to a side model (vision, transcription): these run before a
 * turn, outside the chat client, yet spend the same tokens and money, so they count
 * toward the person's daily allowance, `cairn usage` and the audits like any other call.
 */
import { CairnError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { audioCostUsd, costUsd, ZERO_USAGE } from './cost.js';
import type { ModelPrice } from './providers.js';
import type { CallRecord, ModelPurpose, Usage } from './types.js';

export interface Metering {
  /** The usage ledger. */
  onCall: (record: CallRecord) => void;
  /** Prices per million tokens by model, for the cost when the provider reports none. */
  pricing?: Record<string, ModelPrice> | undefined;
  logger: Logger;
}

export interface MeteredCall {
  provider: string;
  model: string;
  purpose: ModelPurpose;
  /** The person it works for. */
  userKey?: string | undefined;
}

export interface MeteredResult<T> {
  value: T;
  usage: Usage;
  /** The provider's own cost figure, when it sent one. */
  reportedCostUsd?: number | undefined;
  /** Seconds of audio, for a speech-to-text model billed by its length (whisper-1), which reports no tokens. */
  audioSeconds?: number | undefined;
}

/** Runs `call` and writes its row, ok or failed; a failure to write is logged, never the call's failure. */
export async function metered<T>(meter: Metering | undefined, call: MeteredCall, run: () => Promise<MeteredResult<T>>): Promise<T> {
  const started = performance.now();
  const write = (usage: Usage, cost: number | undefined, errorCode: string | undefined) => {
    if (!meter) return;
    try {
      meter.onCall({ ...call, usage, costUsd: cost, durationMs: performance.now() - started, ok: errorCode === undefined, errorCode, sessionId: undefined, attempt: 1 });
    } catch (error) {
      meter.logger.warn({ provider: call.provider, error: error instanceof Error ? error.message : String(error) }, 'recording a model call failed');
    }
  };
  let result: MeteredResult<T>;
  try {
    result = await run();
  } catch (error) {
    write({ ...ZERO_USAGE }, undefined, error instanceof CairnError ? error.code : 'internal');
    throw error;
  }
  const price = meter?.pricing?.[call.model];
  const cost = result.audioSeconds !== undefined && result.reportedCostUsd === undefined ? audioCostUsd(result.audioSeconds, price) : costUsd(result.usage, result.reportedCostUsd, price);
  write(result.usage, cost, undefined);
  return result.value;
}

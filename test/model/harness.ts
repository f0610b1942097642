/**
 * Builds a model client against fake servers with everything observable: the delays it
 * asked to sleep (returned at once: tests never sleep), the ledger records and the logs.
 */
import { CairnError } from '../../src/core/errors.js';
import { createModelClient, type ModelClientOptions } from '../../src/model/client.js';
import type { ProviderSettings } from '../../src/model/providers.js';
import type { CallRecord } from '../../src/model/types.js';

export function providerAt(url: string, overrides: Partial<ProviderSettings> = {}): ProviderSettings {
  return { name: 'custom', baseUrl: url, apiKey: 'sk-test-key-123456', model: 'test-model', toolMode: 'native', headers: {}, ...overrides };
}

export interface LogLine {
  level: 'warn' | 'debug';
  obj: object;
  msg: string;
}

export function testClient(providers: ProviderSettings[], overrides: Partial<ModelClientOptions> = {}) {
  const sleeps: number[] = [];
  const calls: CallRecord[] = [];
  const logs: LogLine[] = [];
  const client = createModelClient({
    providers,
    timeoutMs: 5_000,
    retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000 },
    random: () => 0.5,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw signal.reason;
    },
    onCall: (record) => calls.push(record),
    logger: {
      warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
      debug: (obj, msg) => logs.push({ level: 'debug', obj, msg }),
    },
    ...overrides,
  });
  return { client, sleeps, calls, logs };
}

export const clockTool = {
  name: 'clock',
  description: 'Tells the current time in a time zone.',
  parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
};

/** Awaits a promise that must reject with a CairnError, and returns that error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw new Error(`expected a CairnError, got ${String(error)}`);
  }
  throw new Error('expected the promise to reject');
}

/**
 * Which model endpoints refuse Cairn's key now, read from the record of every call (the ledger's). A key revoked at
 * the provider failed every turn with "the provider refused the API key" while /healthz said all was well: alerts
 * on it never fired. An endpoint whose last call was refused (401) is named until a call to it goes through; while
 * the newest chat call was refused, nothing answers people, and the health is not ok. Aux, transcription and vision
 * calls are named by their purpose: a key restricted to some endpoints is refused for those alone.
 */
import type { CallRecord } from './types.js';

export interface ModelHealth {
  ok: boolean;
  problem?: string;
}

export class RefusedKeys {
  /** The last refusal by endpoint and purpose, until a call there goes through. */
  private readonly refused = new Map<string, string>();
  /** The newest chat call was refused. */
  private chatRefused = false;

  record(call: CallRecord): void {
    const model = call.requestedModel ?? call.model;
    const where = `${model} at ${call.provider}${call.purpose === 'chat' ? '' : ` (${call.purpose})`}`;
    const refused = !call.ok && call.errorCode === 'auth';
    if (refused) this.refused.set(where, where);
    else if (call.ok) this.refused.delete(where);
    if (call.purpose === 'chat' && (call.ok || refused)) this.chatRefused = refused;
  }

  health(): ModelHealth {
    if (this.refused.size === 0) return { ok: true };
    const names = [...this.refused.values()].join(', ');
    return { ok: !this.chatRefused, problem: `The model provider refused the API key (401) for ${names}: set the new key (\`cairn doctor\` names the variable) and restart Cairn.` };
  }
}

/**
 * A provider that counts a request's tokens higher than Cairn's estimate refuses it as over the model's
 * context (400 context_length_exceeded): the turn is tried again within less, and the conversation goes
 * on, where every such message got "Try /new". How each provider words the refusal is read for its figures.
 */
import { describe, expect, it } from 'vitest';
import { budgetAfterOverflow, contextOverflow } from '../../src/core/context-budget.js';
import { CairnError } from '../../src/core/errors.js';
import type { ChatBody, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const systemOf = (body: ChatBody) => String(body.messages?.[0]?.content ?? '');
/** The provider's tokenizer: denser than Cairn's estimate (a char and a half a token). */
const realTokens = (body: ChatBody) => Math.ceil(JSON.stringify(body.messages ?? []).length / 1.5);

function provider(limit: number) {
  return (request: RecordedRequest) => {
    const body = request.body as ChatBody;
    const tokens = realTokens(body);
    if (tokens > limit) return { error: { status: 400, body: { error: { message: `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } } };
    if (systemOf(body).startsWith('You compress')) return { text: 'Earlier: the user chatted about many things.' };
    return { text: 'ok' };
  };
}

describe('provider counts more tokens than Cairn estimates', () => {
  it('answers rather than failing every message', async () => {
    rig.server.setDefault(provider(8000));
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_CONTEXT_TOKENS: '8000' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const say = (text: string, extra: Partial<InboundMessage> = {}) =>
      cairn.gateway.receive(telegram.message(text, { senderId: '100', userId: 'telegram:100', conversationId: 'telegram:dm:100', ...extra }));
    const failures: string[] = [];
    for (let i = 0; i < 30; i++) {
      await say(`message ${i}: ${'lorem ipsum dolor sit amet '.repeat(30)}`);
      const last = telegram.texts().at(-1) ?? '';
      if (last !== 'ok') failures.push(`${i}: ${last}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('contextOverflow', () => {
  const refusal = (message: string) => new CairnError('bad_request', `provider answered 400 ${message}`);
  it('reads the limit and the size from each provider\'s wording', () => {
    expect(contextOverflow(refusal("This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."))).toEqual({ limit: 8192, requested: 9000 });
    expect(contextOverflow(refusal("This endpoint's maximum context length is 4096 tokens. However, you requested about 5000 tokens (4000 of text input)."))).toEqual({ limit: 4096, requested: 5000 });
    expect(contextOverflow(refusal('prompt is too long: 210000 tokens > 200000 maximum'))).toEqual({ limit: 200000, requested: 210000 });
    expect(contextOverflow(refusal('Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length'))).toEqual({ limit: 32768, requested: 40000 });
    expect(contextOverflow(refusal('The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'))).toEqual({ limit: 1048576, requested: 1200000 });
    expect(contextOverflow(refusal('the request exceeds the available context size, try increasing it'))).toEqual({ limit: undefined, requested: undefined });
    expect(contextOverflow(refusal('request (9000 tokens) exceeds the available context size (4096 tokens), try increasing it'))).toEqual({ limit: 4096, requested: 9000 });
  });

  it('leaves other failures alone', () => {
    expect(contextOverflow(refusal('Invalid value for temperature'))).toBeUndefined();
    expect(contextOverflow(new CairnError('rate_limit', 'maximum context length is 10 tokens'))).toBeUndefined();
    expect(contextOverflow(new Error('maximum context length is 10 tokens'))).toBeUndefined();
  });

  it('tries again as much smaller as the provider counted over, and a quarter smaller at least', () => {
    expect(budgetAfterOverflow(12_000, { limit: 8_000, requested: 16_000 })).toBe(5_400);
    expect(budgetAfterOverflow(12_000, { limit: 8_000, requested: 8_100 })).toBe(9_000);
    expect(budgetAfterOverflow(32_000, { limit: 8_000, requested: undefined })).toBe(7_200);
    expect(budgetAfterOverflow(12_000, { limit: undefined, requested: undefined })).toBe(9_000);
  });

  it('scales what was sent where it was under the budget (a request just after a compression)', () => {
    // 6,000 of a 12,000 budget sent, counted 12,000 against a limit of 3,000: the window is about 1,350 of Cairn's tokens, not 2,700.
    expect(budgetAfterOverflow(12_000, { limit: 3_000, requested: 12_000 }, 6_000)).toBe(1_350);
    expect(budgetAfterOverflow(12_000, { limit: 3_000, requested: 12_000 }, 20_000)).toBe(2_700);
  });
});

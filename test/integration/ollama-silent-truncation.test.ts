/**
 * Ollama does not refuse a prompt longer than the model's context (num_ctx): it cuts it, the system prompt first when the
 * last message alone is too long for what is left, and counts in usage.prompt_tokens only what it kept. Cairn, at its
 * default budget of 32,000 tokens, sent 12k-token prompts to a 4,096-token window, and the person got an answer made
 * without Cairn's instructions or tools. The count far under Cairn's estimate is now read as that cut.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { leastSentTokens, silentTruncation, TruncationWatch } from '../../src/core/context-budget.js';
import type { ChatBody, RecordedRequest } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
const NUM_CTX = 4_096;
/** The model's tokenizer: about four characters a token of the messages as sent. */
const realTokens = (body: ChatBody) => Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
const systemOf = (body: ChatBody) => String(body.messages?.[0]?.content ?? '');

/** Ollama with num_ctx 4096: a longer prompt is cut to the window, and the answer made of what is left knows nothing of Cairn. */
function ollama(request: RecordedRequest) {
  const body = request.body as ChatBody;
  const tokens = realTokens(body);
  if (systemOf(body).startsWith('You compress')) return { text: 'Earlier: the user pasted several long reports about the harbour.', usage: { prompt_tokens: Math.min(tokens, NUM_CTX) } };
  if (tokens > NUM_CTX) return { text: 'I am a helpful assistant. What is Cairn?', usage: { prompt_tokens: NUM_CTX } };
  return { text: 'ok', usage: { prompt_tokens: tokens } };
}

describe('a local model behind Ollama with a small num_ctx', () => {
  it('notices the prompt was cut, tries the step again within the window, and says what to set', async () => {
    rig.server.setDefault(ollama);
    const log: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
    const cairn = rig.startWith(testConfig(rig.server.url, { CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0' }), { logger });
    const report = (i: number) => `report ${i}: ${'the harbour crane moved forty containers before noon. '.repeat(110)}`;
    for (let i = 0; i < 8; i++) await cairn.gateway.receive(cairn.adapter.message(report(i)));
    // Every answer was made from the whole prompt: none from one Ollama had cut.
    // The first prompt over the window is cut unseen: counted at 4,096 of some 5,000, it may be a tokenizer's difference.
    // The next, grown by a whole report and counted the same, was cut at that ceiling: tried again within it, and every
    // later one is sized to the window, the older reports folded into the summary.
    const cutAnswer = 'I am a helpful assistant. What is Cairn?';
    expect(cairn.adapter.texts()).toEqual(['ok', 'ok', cutAnswer, 'ok', 'ok', 'ok', 'ok', 'ok']);
    const chats = rig.server.chatRequests().filter((body) => !systemOf(body).startsWith('You compress'));
    expect(chats.filter((body) => realTokens(body) > NUM_CTX)).toHaveLength(2);
    for (const body of chats.slice(4)) expect(realTokens(body)).toBeLessThanOrEqual(NUM_CTX);
    expect(systemOf(chats.at(-1) as ChatBody)).toContain('You are Cairn');
    const warnings = log.filter((line) => String(line.msg).includes('num_ctx'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.msg)).toContain('CAIRN_CONTEXT_TOKENS');
    expect(String(warnings[0]?.msg)).toContain('OLLAMA_CONTEXT_LENGTH');
  });

  it('leaves alone a provider whose tokenizer counts 40% under the estimate', async () => {
    rig.server.setDefault((request) => ({ text: 'ok', usage: { prompt_tokens: Math.ceil(realTokens(request.body as ChatBody) * 0.6) } }));
    const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0' });
    for (let i = 0; i < 6; i++) await cairn.gateway.receive(cairn.adapter.message(`note ${i}: ${'the tide was low at six and the ferry ran late. '.repeat(100)}`));
    expect(cairn.adapter.texts()).toEqual(Array(6).fill('ok'));
    expect(rig.server.chatRequests()).toHaveLength(6);
  });
});

describe('silentTruncation', () => {
  const usage = (promptTokens: number, cachedTokens = 0) => ({ promptTokens, completionTokens: 10, cachedTokens });
  it('reads a count far under the estimate as the context the prompt was cut to', () => {
    expect(silentTruncation(12_000, usage(4_096))).toBe(4_096);
    expect(silentTruncation(12_000, usage(2_048))).toBe(2_048);
    expect(silentTruncation(20_000, usage(8_192))).toBe(8_192);
  });
  it('takes no tokenizer difference, missing usage, or a cached prompt for one', () => {
    expect(silentTruncation(12_000, usage(8_400))).toBeUndefined(); // 30% under
    expect(silentTruncation(12_000, usage(6_000))).toBeUndefined(); // half
    expect(silentTruncation(12_000, usage(0))).toBeUndefined(); // no usage, or all of it from the cache
    expect(silentTruncation(12_000, usage(300))).toBeUndefined(); // only the new tail counted: no context is that small
    expect(silentTruncation(12_000, usage(2_000, 9_000))).toBeUndefined(); // cached tokens counted apart
  });
  it('counts what was sent without the reasoning Ollama drops from earlier turns', () => {
    const reasoning = { endpoint: 'http://x', field: 'reasoning' as const, text: 'thinking '.repeat(4_000) };
    const sent = leastSentTokens([{ role: 'system', content: 'be brief' }, { role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 't', arguments: '{}' }], reasoning }]);
    expect(sent).toBeLessThan(50);
  });
  it('counts other scripts as the densest tokenizers do, so a Chinese prompt counted whole is never read as cut', () => {
    const report = '本季度销售额同比增长百分之十二，主要来自华东地区的新客户。'.repeat(1_000);
    const sent = leastSentTokens([{ role: 'user', content: report }]);
    expect(sent).toBe(Math.ceil(report.length / 3));
    // DeepSeek's tokenizer: about 1.5 characters a token of Chinese.
    expect(silentTruncation(sent, usage(Math.ceil(report.length / 1.5)))).toBeUndefined();
  });
});

describe('TruncationWatch', () => {
  const usage = (promptTokens: number, cachedTokens = 0) => ({ promptTokens, completionTokens: 10, cachedTokens });
  it('reads a grown prompt counted the same as the last as cut at that ceiling', () => {
    const watch = new TruncationWatch();
    expect(watch.check('s', 5_000, usage(4_096))).toBeUndefined();
    expect(watch.check('s', 6_500, usage(4_096))).toBe(4_096);
    // Another conversation has its own last count.
    expect(watch.check('t', 6_500, usage(4_096))).toBeUndefined();
  });
  it('takes no equal count of an equal prompt, of one over its estimate, or of a small cached tail for one', () => {
    const watch = new TruncationWatch();
    watch.check('s', 5_000, usage(4_096));
    expect(watch.check('s', 5_010, usage(4_096))).toBeUndefined(); // the same prompt again, near enough
    watch.check('u', 3_000, usage(3_900));
    expect(watch.check('u', 3_500, usage(3_900))).toBeUndefined(); // a count over the estimate cut nothing
    watch.check('v', 5_000, usage(600));
    expect(watch.check('v', 6_000, usage(600))).toBeUndefined(); // no context is that small
  });
});

/**
 * One long working conversation in a Telegram DM: hundreds of turns with tool calls, a file sent early,
 * compressions one after another (summaries of summaries), /model to a model with a much smaller
 * window and back, a provider whose token counts are higher than Cairn's estimates, /export after it
 * all, and the idle timeout ending the session.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, RecordedRequest } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
type Message = { role: string; content: string | null; tool_calls?: { id: string }[]; tool_call_id?: string };
const messagesOf = (body: ChatBody) => (body.messages ?? []) as Message[];
const systemOf = (body: ChatBody) => String(messagesOf(body)[0]?.content ?? '');
const isSummary = (body: ChatBody) => systemOf(body).startsWith('You compress');
/** The provider's tokenizer counts a token per two characters of the request; Cairn estimates about four. */
const realTokens = (body: ChatBody) => Math.ceil(JSON.stringify(body.messages ?? []).length / 2);
const WINDOWS: Record<string, number> = { 'test-model': 12_000, 'small-model': 3_000 };

function provider(request: RecordedRequest) {
  const body = request.body as ChatBody;
  const limit = WINDOWS[String(body.model)] ?? 12_000;
  const tokens = realTokens(body);
  if (tokens > limit) return { error: { status: 400, body: { error: { message: `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } } };
  if (isSummary(body)) return { text: 'The user is working through a long list of chores with the agent.' };
  const last = messagesOf(body).at(-1);
  if (last?.role === 'user' && String(last.content).includes('what time')) return { toolCalls: [{ name: 'current_time', arguments: {} }] };
  return { text: 'ok' };
}

/** Every tool result follows the assistant message that called it, and every call has its result. */
function pairsProblems(body: ChatBody): string[] {
  const problems: string[] = [];
  const messages = messagesOf(body);
  if (messages[1]?.role !== 'user') problems.push(`starts with ${messages[1]?.role}`);
  messages.forEach((message, i) => {
    if (message.role !== 'assistant' || !message.tool_calls?.length) return;
    const results = message.tool_calls.map((_, k) => messages[i + 1 + k]);
    message.tool_calls.forEach((call, k) => {
      if (results[k]?.role !== 'tool' || results[k]?.tool_call_id !== call.id) problems.push(`call ${call.id} without its result`);
    });
  });
  messages.forEach((message, i) => {
    if (message.role === 'tool' && !['assistant', 'tool'].includes(messages[i - 1]?.role ?? '')) problems.push(`orphan result ${message.tool_call_id}`);
  });
  return problems;
}

describe('a long working conversation', () => {
  it('keeps answering, keeps files readable and exports everything', async () => {
    rig.server.setDefault(provider);
    rig.server.setModels(['test-model', 'small-model']);
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '100', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_CONTEXT_TOKENS: '12000', CAIRN_SESSION_IDLE_MINUTES: '60' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const say = (text: string, extra: Partial<InboundMessage> = {}) => {
      cairn.manualClock.advance(60_000);
      return cairn.gateway.receive(telegram.message(text, { senderId: '100', userId: 'telegram:100', conversationId: 'telegram:dm:100', ...extra }));
    };
    const command = (name: string, args = '') => say(`/${name}${args ? ` ${args}` : ''}`, { command: { name, args } });
    const failures: string[] = [];
    const turn = async (text: string) => {
      await say(text);
      const answer = telegram.texts().at(-1) ?? '';
      if (!/^ok|^\d{4}-/.test(answer)) failures.push(`${text.slice(0, 12)}: ${answer}`);
    };

    const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => `row ${i}: budget line ${i * 7}`).join('\n'));
    const file: InboundFile = { label: 'a file (budget.txt)', fileName: 'budget.txt', contentType: 'text/plain', size: bytes.length, load: async () => bytes };
    await say('here is the budget', { attachments: [file.label], files: [file] });
    for (let i = 0; i < 200; i++) await turn(i % 5 === 0 ? `what time is it now (${i})?` : `chore ${i}: ${'tidy the shed and sort the tools '.repeat(12)}`);

    const summaries = rig.server.chatRequests().filter(isSummary);
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    expect(summaries.some((body) => String(messagesOf(body)[1]?.content).startsWith('Summary so far:'))).toBe(true);
    // Not one every turn: a fold leaves room for a good many turns before the next.
    expect(summaries.length).toBeLessThan(20);
    // What a person asked for the rest of the conversation is what the summarizer is told to keep.
    expect(systemOf(summaries[0] as ChatBody)).toContain('standing instruction');
    // The file sent before the compressions can still be read by its number.
    const lastChat = rig.server.chatRequests().filter((body) => !isSummary(body)).at(-1) as ChatBody;
    expect(systemOf(lastChat)).toMatch(/#1 file \(budget\.txt\)/);

    // A much smaller window, then back.
    await command('model', 'small-model');
    for (let i = 0; i < 10; i++) await turn(`small ${i}: ${'water the plants and feed the cat '.repeat(10)}`);
    // Its first request was refused as over its window: the turn went on within less, and later turns start there.
    const small = rig.server.chatRequests().filter((body) => body.model === 'small-model' && !isSummary(body));
    expect(small.length).toBeGreaterThan(10);
    expect(small.filter((body) => realTokens(body) > 3_000).length).toBeLessThanOrEqual(2);
    await command('model', 'default');
    for (let i = 0; i < 10; i++) await turn(`back ${i}: ${'paint the fence before the rain '.repeat(10)}`);
    expect(failures).toEqual([]);
    for (const body of rig.server.chatRequests().filter((b) => !isSummary(b) && (b.tools?.length ?? 0) > 0)) expect(pairsProblems(body)).toEqual([]);

    // /export has every message, not the summaries.
    await command('export');
    const exportedFile = telegram.sent.at(-1)?.reply.files?.[0];
    const exported = exportedFile ? Buffer.from(exportedFile.bytes).toString('utf8') : (telegram.texts().at(-1) ?? '');
    expect(exported).toContain('here is the budget');
    expect(exported).toContain('back 9');
    expect(exported).not.toContain('working through a long list of chores');

    // Idle past the timeout: the next message starts a session of its own.
    cairn.manualClock.advance(61 * 60_000);
    await turn('good morning');
    const morning = rig.server.chatRequests().filter((body) => !isSummary(body) && messagesOf(body).at(-1)?.content === 'good morning').at(-1) as ChatBody;
    expect(messagesOf(morning)).toHaveLength(2);
  });
});

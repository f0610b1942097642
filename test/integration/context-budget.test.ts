/**
 * The context budget (CAIRN_CONTEXT_TOKENS) as a user with a small or busy window meets it:
 * every request Cairn sends must fit it, or the provider refuses it (vLLM, OpenAI) or silently
 * cuts off its start, the system prompt (Ollama).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatBody } from '../fakes/model-server.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import type { InboundFile } from '../../src/core/message.js';

const rig = useFakeModelRig();

function start(env: Record<string, string>): TestCairn {
  return rig.start({ CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_MAX_RETRIES: '0', ...env });
}

type WireMessage = { role: string; content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] };

const isSummary = (body: ChatBody) => String(body.messages?.[0]?.content).startsWith('You compress');
const chatTurns = () => rig.server.chatRequests().filter((body) => !isSummary(body));

/** Cairn's own estimate of a request's messages (what the prompt builder budgets with). */
function messageTokens(body: ChatBody): number {
  return (body.messages as WireMessage[]).reduce(
    (sum, m) => sum + 4 + estimateTokens(m.content) + (m.tool_calls ?? []).reduce((n, c) => n + estimateTokens(c.function.name) + estimateTokens(c.function.arguments), 0),
    0,
  );
}

describe('the context budget', () => {
  it('fits the newest tool result into a small context instead of sending it whole past the budget', async () => {
    // An 8k-class local model (Ollama, llama.cpp) with a budget set to match; one tool result of 20,000 characters.
    const context = 4_096;
    const cairn = start({ CAIRN_CONTEXT_TOKENS: String(context) });
    const log = Array.from({ length: 2_000 }, (_, i) => `log line ${i} with some words in it\n`).join('');
    cairn.tools.register({ name: 'read_log', description: 'reads the log', parameters: z.object({}), execute: () => log });
    rig.server.enqueue({ toolCalls: [{ name: 'read_log', arguments: {} }] }, { text: 'The log is fine.' });
    await cairn.gateway.receive(cairn.adapter.message('what does the log say?'));
    const sizes = chatTurns().map(messageTokens);
    expect(sizes).toHaveLength(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(context);
    // Cut in the middle: its start and end are there, with a note on how to read the rest.
    const result = (chatTurns()[1]?.messages as WireMessage[]).find((m) => m.role === 'tool')?.content ?? '';
    expect(result).toMatch(/^log line 0 with/);
    expect(result).toMatch(/log line 1999 with some words in it\n$/);
    expect(result).toMatch(/characters cut from the middle to fit the context window\. To read them, call the tool again for a smaller part/);
  });

  it('refuses a message larger than the context budget with the figures, and sends and stores nothing (40,000 Chinese characters with the default budget)', async () => {
    // Under agent.maxInputChars (100,000 characters), so the character check lets it through; at about a token a
    // character it is 40,000 tokens, past the default 32,000-token budget. English text that size is ~10,000.
    const cairn = start({});
    const document = '数据库迁移计划需要在周五之前完成并且通知所有团队成员。'.repeat(1_500);
    expect(document.length).toBeLessThanOrEqual(cairn.config.agent.maxInputChars);
    await cairn.gateway.receive(cairn.adapter.message(`请总结这份文件：\n${document}`));
    expect(cairn.adapter.texts()).toHaveLength(1);
    expect(cairn.adapter.texts()[0]).toMatch(/^Your message is about 40,5\d\d tokens long .*room for about [\d,]+ in one message\. Send a shorter message, or split it into parts\.$/);
    expect(chatTurns()).toHaveLength(0);
    expect(cairn.db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(0);
  });

  it('counts the tool definitions it sends against the context budget', async () => {
    // A user of an 8k model sets CAIRN_CONTEXT_TOKENS=8192 and chats on; each request also carries the
    // tool definitions (~2,300 tokens for a non-admin).
    const context = 8_192;
    const cairn = start({ CAIRN_CONTEXT_TOKENS: String(context) });
    rig.server.setDefault((request) => ({ text: isSummary(request.body as ChatBody) ? 'SUMMARY of the earlier paragraphs.' : 'noted' }));
    for (let i = 0; i < 4; i++) await cairn.gateway.receive(cairn.adapter.message(`paragraph ${i}: ${'the quarterly numbers look steady overall '.repeat(190)}`));
    const sizes = chatTurns().map((body) => messageTokens(body) + estimateTokens(JSON.stringify(body.tools ?? [])));
    expect(sizes).toHaveLength(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(context);
  });

  it('counts the tool definitions once in hermes mode, where they are part of the system prompt', async () => {
    // Room for the two latest paragraphs (~2,000 tokens each) beside the tools (~2,600) counted once, not twice.
    const context = 10_240;
    const cairn = start({ CAIRN_CONTEXT_TOKENS: String(context), CAIRN_TOOL_MODE: 'hermes' });
    rig.server.setDefault((request) => ({ text: isSummary(request.body as ChatBody) ? 'SUMMARY of the earlier paragraphs.' : 'noted' }));
    for (let i = 0; i < 4; i++) await cairn.gateway.receive(cairn.adapter.message(`paragraph ${i}: ${'the quarterly numbers look steady overall '.repeat(190)}`));
    const turns = chatTurns();
    expect(turns.every((body) => body.tools === undefined && String(body.messages[0]?.content).includes('<tools>'))).toBe(true);
    expect(Math.max(...turns.map(messageTokens))).toBeLessThanOrEqual(context);
    // Not counted twice: the latest request still carries the paragraph before the newest.
    expect((turns.at(-1)?.messages as WireMessage[]).some((m) => m.content?.startsWith('paragraph 2:'))).toBe(true);
  });

  it('keeps the previous question and answer in view after a tool-heavy turn, shortening its old tool results instead', async () => {
    // Default budget (32,000 tokens). The agent reads seven files (20,000 characters each, the cap), then answers.
    const cairn = start({});
    cairn.tools.register({ name: 'read_source', description: 'reads a source file', parameters: z.object({ n: z.number() }), execute: ({ n }) => `// file ${n}\n${'const value = compute(input, options);\n'.repeat(600)}` });
    rig.server.enqueue({ toolCalls: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ name: 'read_source', arguments: { n } })) }, { text: 'File 3 has the bug: line 12 divides by zero.' }, { text: 'Fixed.' });
    await cairn.gateway.receive(cairn.adapter.message('find the bug in files 1 to 7'));
    await cairn.gateway.receive(cairn.adapter.message('ok, fix it'));
    const followUp = chatTurns().at(-1)?.messages as WireMessage[];
    expect(followUp.map((m) => m.content)).toContain('File 3 has the bug: line 12 divides by zero.');
    expect(followUp.map((m) => m.content)).toContain('find the bug in files 1 to 7');
    // Every call keeps a result; the oldest stand as notes, and the request fits.
    const results = followUp.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
    expect(results).toHaveLength(7);
    expect(results[0]).toMatch(/^\[This result \([\d,]+ characters\) was left out to fit the context window/);
    expect(messageTokens(chatTurns().at(-1) as ChatBody)).toBeLessThanOrEqual(cairn.config.model.contextTokens);
  });
});

function sentFile(fileName: string, content: string): InboundFile {
  const bytes = Buffer.from(content);
  return { label: `a file (${fileName})`, fileName, contentType: 'text/plain', size: bytes.length, load: async () => bytes };
}

/** The pre-tokenizer split of cl100k_base (and Llama 3): each piece becomes one token or more, so their count is the least a model makes of a text. */
const PIECES = /'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
const leastTokens = (text: string) => (text.match(PIECES) ?? []).length;

const appLog = (lines: number) => Array.from({ length: lines }, (_, i) => `2026-11-24T09:${String(i % 60).padStart(2, '0')}:00Z INFO worker-${i % 7} processed job ${100_000 + i} in ${i % 90} ms`);
const accessLog = (lines: number) =>
  Array.from({ length: lines }, (_, i) => `192.168.${i % 255}.${(i * 7) % 255} - - [24/Nov/2026:09:${String(i % 60).padStart(2, '0')}:12 +0000] "GET /api/v1/items/${1000 + i}?page=${i % 9} HTTP/1.1" 200 ${500 + i} "-" "Mozilla/5.0"`).join('\n');

describe('a long file within the character limit but not the context', () => {
  it('is read shortened to its start and end, not refused: a 130 KB Chinese report with the default settings', async () => {
    const cairn = start({});
    // 45,000 Chinese characters: under the 100,000-character input limit, about 45,000 tokens.
    const paragraph = '本季度销售额同比增长百分之十二，主要来自华东地区的新客户。';
    const report = `季度报告\n${`${paragraph}\n`.repeat(1_500)}结论：华东地区的库存不足是最大的风险。`;
    expect(report.length).toBeLessThan(cairn.config.agent.maxInputChars);
    rig.server.enqueue({ text: '最大的风险是华东地区的库存不足。' });
    const file = sentFile('report.txt', report);

    const outcome = await cairn.gateway.receive(cairn.adapter.message('总结一下这份报告', { attachments: [file.label], files: [file] }));

    expect(outcome).toBe('turn');
    expect(cairn.adapter.texts()).toEqual(['最大的风险是华东地区的库存不足。']);
    const asked = String((chatTurns()[0]?.messages as WireMessage[]).at(-1)?.content);
    // The typed words whole; the file's start and end, with where to read the rest.
    expect(asked).toMatch(/^总结一下这份报告\n\n\[file \(report\.txt\), [\d,]+ characters, shortened to its start and end; attachment #1\]\n季度报告\n/);
    expect(asked).toMatch(/\[… [\d,]+ characters \([\d,]+ lines\) left out; read_attachment #1 reads them …\]/);
    expect(asked).toContain('结论：华东地区的库存不足是最大的风险。');
    expect(messageTokens(chatTurns()[0] as ChatBody)).toBeLessThanOrEqual(cairn.config.model.contextTokens);
  });

  it('keeps the end of a 200 KB log, where its error is, with a 16k-token model', async () => {
    const cairn = start({ CAIRN_CONTEXT_TOKENS: '16000' });
    const log = [...appLog(3_100), '2026-11-24T10:00:00Z ERROR worker-3 out of memory while processing job 103101'].join('\n');
    expect(log.length).toBeGreaterThan(200_000);
    rig.server.enqueue({ text: 'Worker 3 ran out of memory.' });
    const file = sentFile('app.log', log);

    const outcome = await cairn.gateway.receive(cairn.adapter.message('why did the job fail?', { attachments: [file.label], files: [file] }));

    expect(outcome).toBe('turn');
    expect(cairn.adapter.texts()).toEqual(['Worker 3 ran out of memory.']);
    expect(String((chatTurns()[0]?.messages as WireMessage[]).at(-1)?.content)).toContain('ERROR worker-3 out of memory');
    expect(messageTokens(chatTurns()[0] as ChatBody)).toBeLessThanOrEqual(16_000);
  });

  it('keeps a request with a long access log within a 32k model that counts its tokens (digits and marks are about twice four characters a token)', async () => {
    const context = 32_000;
    const cairn = start({ CAIRN_CONTEXT_TOKENS: String(context) });
    // As a llama.cpp or vLLM server with a 32k context does: a prompt past it is refused.
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      // Counted leniently: only the messages' text, at the least the tokenizer makes of it (no tools, no framing).
      const tokens = (body.messages as WireMessage[]).reduce((sum, m) => sum + leastTokens(m.content ?? ''), 0);
      return tokens > context ? { error: { status: 400, body: { error: { message: `This model's maximum context length is ${context} tokens. However, you requested ${tokens} tokens.`, type: 'invalid_request_error', code: 'context_length_exceeded' } } } } : { text: 'A burst of 500s at 09:12.' };
    });
    const file = sentFile('access.log', accessLog(1_800));

    await cairn.gateway.receive(cairn.adapter.message('anything odd in this?', { attachments: [file.label], files: [file] }));
    // An unanswered log would be joined to each next message, and refused with it.
    await cairn.gateway.receive(cairn.adapter.message('hello? did you get it?'));

    expect(cairn.adapter.texts()).toEqual(['A burst of 500s at 09:12.', 'A burst of 500s at 09:12.']);
  });
});

/**
 * A team changes Cairn's main model every few weeks. Ines, the operator, edits `.env` and restarts:
 * OpenAI's gpt-4.1 first; then a DeepSeek thinking model through OpenRouter; then a local Qwen on vLLM
 * with an 8,192-token window; then Mistral's own API. Their conversations live on across the switches:
 * a Slack channel thread where long logs are pasted, Omar's Telegram DMs, and a Discord channel whose
 * admin once switched it to gpt-4.1 with `/model`. They expect each conversation to go on under the new
 * model, whatever the old one left in its history (tool calls with ids of another format, reasoning or
 * none), without "Try /new"; the first turn on the small window to fit before it is sent; and `cairn
 * doctor` right after a switch to name what the switch left behind (a conversation still switched to a
 * model the new provider does not serve, a context budget larger than the server's window).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { deepSeekThinkingRules, mistralRules, vllmWindowRules } from '../fakes/strict-providers.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { checkModelSwitch } from '../../src/cli/doctor-model-switch.js';
import type { InboundMessage } from '../../src/core/message.js';

const PEOPLE = { SLACK_ALLOWED_USERS: 'U1', SLACK_ADMIN_USERS: 'U1', TELEGRAM_ALLOWED_USERS: '42', DISCORD_ALLOWED_USERS: '801', DISCORD_ADMIN_USERS: '801', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' };
const THREAD = 'slack:T1:C1:1700000000.1';
const OMAR = 'telegram:42';
const CHANNEL = 'discord:G1:C9';

let openai: FakeModelServer, openrouter: FakeModelServer, vllm: FakeModelServer, mistral: FakeModelServer;
let cairn: TestCairn | undefined;
let slack: RecordingAdapter, telegram: RecordingAdapter, discord: RecordingAdapter;
const dataDir = tempDir('cairn-model-change-');
let day = Date.UTC(2026, 2, 2, 9);
/** OpenRouter refuses a model id it does not have, as it does ("… is not a valid model ID"). */
const servedBy = (next: (request: RecordedRequest) => FakeReply) => (request: RecordedRequest): FakeReply => {
  const model = String((request.body as ChatBody).model);
  return model.includes('/') ? next(request) : { error: { status: 400, body: { error: { message: `${model} is not a valid model ID`, code: 400 } } } };
};

const lastUser = (request: RecordedRequest) => String(((request.body as ChatBody).messages as { role: string; content: string }[]).findLast((m) => m.role === 'user')?.content ?? '');
/** The model's answer: a short summary when asked to compress (as a real one writes), else the person's last words back. */
const echo = (request: RecordedRequest): FakeReply => {
  const system = String(((request.body as ChatBody).messages as { content: unknown }[])[0]?.content ?? '');
  return { text: system.startsWith('You compress') ? 'Ines pasted twelve deploy logs; every step was ok.' : `echo: ${lastUser(request).slice(-40)}` };
};

/** Cairn restarted on the team's data folder with `env` (the operator's edited `.env`). */
async function restart(url: string, env: Record<string, string>): Promise<TestCairn> {
  await cairn?.close();
  // Ines restarts in the middle of a working day: the conversations' sessions go on.
  day += 5 * 60_000;
  cairn = startTestCairn(testConfig(url, { ...PEOPLE, ...env }, dataDir));
  cairn.manualClock.set(day);
  [slack, telegram, discord] = [new RecordingAdapter('slack'), new RecordingAdapter('telegram'), new RecordingAdapter('discord')];
  for (const adapter of [slack, telegram, discord]) cairn.gateway.attach(adapter);
  return cairn;
}

let counter = 0;
const say = {
  thread: (text: string, extra: Partial<InboundMessage> = {}) => slack.message(text, { messageId: `s${++counter}`, conversationId: THREAD, senderId: 'U1', userId: 'slack:U1', userName: 'ines', isDirect: false, addressed: true, ...extra }),
  omar: (text: string) => telegram.message(text, { messageId: `t${++counter}`, conversationId: OMAR, senderId: '42', userId: 'telegram:42', userName: 'omar' }),
  channel: (text: string, extra: Partial<InboundMessage> = {}) => discord.message(text, { messageId: `d${++counter}`, conversationId: CHANNEL, senderId: '801', userId: 'discord:801', userName: 'lea', isDirect: false, addressed: true, ...extra }),
};
const command = (to: (text: string, extra?: Partial<InboundMessage>) => InboundMessage, name: string, args: string) => to(`/${name} ${args}`, { command: { name, args } });

async function send(message: InboundMessage): Promise<void> {
  await cairn!.gateway.receive(message);
}

describe('scenario: a team changes the main model every few weeks', () => {
  beforeAll(async () => {
    [openai, openrouter, vllm, mistral] = await Promise.all([startFakeModelServer(), startFakeModelServer(), startFakeModelServer(), startFakeModelServer()]);
    openai.setModels(['gpt-4.1', 'gpt-4.1-mini']);
    openrouter.setModels(['deepseek/deepseek-v4-pro', 'openai/gpt-4.1', 'mistralai/mistral-large']);
    openai.setDefault(echo);
  });
  afterAll(async () => {
    await cairn?.close();
    await Promise.all([openai, openrouter, vllm, mistral].map((server) => server.close()));
  });

  it('weeks 1–2 on gpt-4.1: each conversation uses tools (OpenAI-format call ids), the thread fills with pasted logs', async () => {
    await restart(openai.url, { CAIRN_MODEL: 'gpt-4.1' });
    for (const [to, id] of [[say.thread, 'call_Q2x9LmP0aB7cD4eF1gH3iJ5k'], [say.omar, 'call_R8s1TuV2wX3yZ4aB5cD6eF7g'], [say.channel, 'call_S9t2UvW3xY4zA5bC6dE7fG8h']] as const) {
      openai.enqueue({ toolCalls: [{ id, name: 'current_time', arguments: {} }] }, { text: 'It is 09:00 in UTC.' });
      await send(to('what time is it?'));
    }
    for (let i = 0; i < 12; i++) await send(say.thread(`deploy log ${i}:\n${`step ${i} ok; `.repeat(330)}`));
    await send(command(say.channel, 'model', 'gpt-4.1'));
    expect(discord.texts().at(-1)).toBe('From the next message on, this conversation uses gpt-4.1.');
    expect(slack.texts().at(-1)).toMatch(/^echo: /);
    expect(telegram.texts()).toEqual(['It is 09:00 in UTC.']);
  });

  it('weeks 3–4, DeepSeek through OpenRouter: Omar\'s DMs go on though gpt-4.1\'s tool calls carry no reasoning', async () => {
    const deepseek = deepSeekThinkingRules((request) => ({ ...echo(request), reasoning: { text: 'thinking about it', field: 'reasoning' } }));
    openrouter.setDefault(servedBy(deepseek.reply));
    await restart(openrouter.url, { CAIRN_MODEL: 'deepseek/deepseek-v4-pro' });
    await send(say.omar('and in Tokyo?'));
    expect(telegram.texts().at(-1)).toBe('echo: and in Tokyo?');
    // Refused once, learnt, asked again at once: the next message is not refused at all.
    expect(deepseek.refusals).toHaveLength(1);
    await send(say.omar('thanks'));
    expect(telegram.texts().at(-1)).toBe('echo: thanks');
    expect(deepseek.refusals).toHaveLength(1);
    // DeepSeek's own calls go back with the reasoning it wrote.
    openrouter.enqueue({ toolCalls: [{ id: 'call_00_Xk3J9mQ2', name: 'current_time', arguments: {} }], reasoning: { text: 'I should check the clock', field: 'reasoning' } });
    await send(say.omar('time now?'));
    const last = openrouter.chatRequests().at(-1)!.messages as Record<string, unknown>[];
    expect(last.findLast((m) => m.role === 'assistant')).toMatchObject({ reasoning: 'I should check the clock' });
  });

  it('the Discord channel is still switched to gpt-4.1, which OpenRouter does not serve: doctor names it and the fix', async () => {
    const results = await checkModelSwitch(testConfig(openrouter.url, { ...PEOPLE, CAIRN_MODEL: 'deepseek/deepseek-v4-pro' }, dataDir));
    const line = results.find((result) => result.name === 'conversation models');
    expect(line?.ok).toBe(false);
    expect(line?.detail).toContain(`${CHANNEL} (gpt-4.1`);
    expect(line?.detail).toMatch(/\/model default/);
    await send(say.channel('hello?'));
    expect(discord.texts().at(-1)).toMatch(/doesn't have the model this conversation uses/);
    await send(command(say.channel, 'model', 'default'));
    await send(say.channel('hello again'));
    // The failed message is answered with the next one.
    expect(discord.texts().at(-1)).toMatch(/^echo: hello\?\s+hello again$/);
    const after = await checkModelSwitch(testConfig(openrouter.url, { ...PEOPLE, CAIRN_MODEL: 'deepseek/deepseek-v4-pro' }, dataDir));
    expect(after.find((result) => result.name === 'conversation models')).toBeUndefined();
  });

  it('weeks 5–6, Qwen on vLLM at 8,192 tokens: doctor says the budget is too big; set right, the long thread fits before its first request', async () => {
    const window = vllmWindowRules(8192, echo);
    vllm.setDefault(window.reply);
    vllm.setModels([{ id: 'Qwen/Qwen3-8B', max_model_len: 8192 }]);
    const forgot = await checkModelSwitch(testConfig(vllm.url, { ...PEOPLE, CAIRN_MODEL: 'Qwen/Qwen3-8B' }, dataDir));
    const context = forgot.find((result) => result.name === 'context');
    expect(context?.ok).toBe(false);
    expect(context?.detail).toMatch(/CAIRN_CONTEXT_TOKENS is 32000.*8192.*Set CAIRN_CONTEXT_TOKENS=8192/);
    const ok = await checkModelSwitch(testConfig(vllm.url, { ...PEOPLE, CAIRN_MODEL: 'Qwen/Qwen3-8B', CAIRN_CONTEXT_TOKENS: '8192' }, dataDir));
    expect(ok.find((result) => result.name === 'context')?.ok).toBe(true);

    await restart(vllm.url, { CAIRN_MODEL: 'Qwen/Qwen3-8B', CAIRN_CONTEXT_TOKENS: '8192' });
    await send(say.thread('so did the deploy work?'));
    expect(slack.texts().at(-1)).toBe('echo: so did the deploy work?');
    expect(window.refusals).toEqual([]);
    // OpenRouter's reasoning is not sent to another endpoint.
    expect(vllm.chatRequests().some((body) => JSON.stringify(body.messages).includes('"reasoning'))).toBe(false);
  });

  it('weeks 7–8 on Mistral: the Telegram DMs and Discord channel go on with OpenAI and DeepSeek call ids in their history', async () => {
    const strict = mistralRules(echo);
    mistral.setDefault(strict.reply);
    await restart(mistral.url, { CAIRN_MODEL: 'mistral-large-latest' });
    await send(say.omar('anything new?'));
    expect(telegram.texts().at(-1)).toBe('echo: anything new?');
    await send(say.channel('and here?'));
    expect(discord.texts().at(-1)).toBe('echo: and here?');
    // One refusal taught the format; every later request goes out in it.
    expect(strict.refusals.length).toBeLessThanOrEqual(1);
    mistral.enqueue({ toolCalls: [{ id: 'aB3dE6gH9', name: 'current_time', arguments: {} }] });
    await send(say.thread('time on the build box?'));
    expect(slack.texts().at(-1)).toBe('echo: time on the build box?');
    expect(strict.refusals.length).toBeLessThanOrEqual(1);
    // The stored history keeps the ids as each model wrote them; only what is sent is rewritten.
    const omar = cairn!.sessions.store.active(OMAR)!;
    const stored = cairn!.sessions.store.allMessages(omar.id).flatMap(({ message }) => (message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => call.id) : []));
    expect(stored).toEqual(expect.arrayContaining(['call_R8s1TuV2wX3yZ4aB5cD6eF7g', 'call_00_Xk3J9mQ2']));
  });

  it('every task records the model that did it', () => {
    const models = cairn!.db.prepare<[], { model: string | null }>('SELECT DISTINCT model FROM tasks ORDER BY model').all().map((row) => row.model);
    expect(models).toEqual(expect.arrayContaining(['gpt-4.1', 'deepseek/deepseek-v4-pro', 'mistral-large-latest']));
  });
});

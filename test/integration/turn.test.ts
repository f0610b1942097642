/**
 * The core end to end: gateway → session → turn loop → real openai client → the
 * scripted model server on loopback, with real SQLite.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

function lastMessages(index = -1) {
  const body = rig.server.chatRequests().at(index);
  return (body?.messages ?? []) as { role: string; content: string | null; tool_calls?: unknown[] }[];
}

describe('a turn', () => {
  it('answers a message', async () => {
    const cairn = rig.start();
    await cairn.gateway.receive(cairn.adapter.message('hello there'));
    expect(cairn.adapter.texts()).toEqual(['echo: hello there']);
    const messages = lastMessages();
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toContain('You are Cairn');
    expect(messages.at(-1)).toMatchObject({ role: 'user', content: 'hello there' });
  });

  it('runs a tool call and feeds the result back to the model', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ toolCalls: [{ id: 'call_1', name: 'current_time', arguments: { timeZone: 'UTC' } }] }, { text: 'It is morning.' });
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    expect(cairn.adapter.texts()).toEqual(['It is morning.']);
    const second = lastMessages();
    const toolMessage = second.find((m) => m.role === 'tool') as { content: string; tool_call_id: string } | undefined;
    expect(toolMessage?.tool_call_id).toBe('call_1');
    expect(JSON.parse(toolMessage?.content ?? '{}')).toMatchObject({ iso: '2026-11-24T09:00:00.000Z' });
    expect(rig.server.chatRequests()[0]?.tools?.map((t: { function: { name: string } }) => t.function.name)).toContain('current_time');
  });

  it('parses <tool_call> blocks from models without native tools', async () => {
    const cairn = rig.start({ CAIRN_TOOL_MODE: 'hermes' });
    rig.server.enqueue({ text: 'Let me check.\n<tool_call>{"name": "current_time", "arguments": {}}</tool_call>' }, { text: 'Done checking.' });
    await cairn.gateway.receive(cairn.adapter.message('time?'));
    expect(cairn.adapter.texts()).toEqual(['Done checking.']);
    const [first, second] = rig.server.chatRequests();
    expect(first?.tools).toBeUndefined();
    expect(JSON.stringify(second?.messages)).toContain('<tool_response>');
    expect(JSON.stringify(second?.messages)).toContain('2026-11-24T09:00:00.000Z');
  });

  it('keeps going when a tool throws, and the model sees the error', async () => {
    const cairn = rig.start();
    cairn.tools.register({ name: 'flaky', description: 'always fails', parameters: z.object({}), execute: () => { throw new Error('disk on fire'); } });
    rig.server.enqueue({ toolCalls: [{ name: 'flaky', arguments: {} }] }, { text: 'The tool failed, sorry.' });
    await cairn.gateway.receive(cairn.adapter.message('use flaky'));
    expect(cairn.adapter.texts()).toEqual(['The tool failed, sorry.']);
    expect(JSON.stringify(lastMessages())).toContain('disk on fire');
  });

  it('stops the tool loop at the step limit and asks for an answer without calling tools', async () => {
    const cairn = rig.start({ CAIRN_MAX_STEPS: '2' });
    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'Final answer.' });
    await cairn.gateway.receive(cairn.adapter.message('loop forever'));
    expect(cairn.adapter.texts()).toEqual(['Final answer.']);
    const requests = rig.server.chatRequests();
    expect(requests).toHaveLength(3);
    expect(requests[1]?.tool_choice).toBeUndefined();
    expect(requests[2]?.tools).toBeDefined();
    expect(requests[2]?.tool_choice).toBe('none');
    expect(requests[2]?.messages[0].content).toContain('Answer the user now');
  });

  it.each(['auto', 'hermes'])('takes tool calls written as text out of the answer after the step limit (%s tool mode)', async (mode) => {
    const cairn = rig.start({ CAIRN_MAX_STEPS: '1', CAIRN_TOOL_MODE: mode });
    rig.server.enqueue(
      { text: '<tool_call>\n{"name": "current_time", "arguments": {}}\n</tool_call>' },
      { text: 'It is nine in London. Let me check Paris too.\n<tool_call>\n{"name": "current_time", "arguments": {"timeZone": "Europe/Paris"}}\n</tool_call>' },
    );
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    expect(cairn.adapter.texts()).toEqual(['It is nine in London. Let me check Paris too.']);
  });

  it('says it ran out of steps when the model only tries to call tools after the limit, and keeps that in the history', async () => {
    const cairn = rig.start({ CAIRN_MAX_STEPS: '1' });
    rig.server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { toolCalls: [{ name: 'current_time', arguments: {} }] });
    await cairn.gateway.receive(cairn.adapter.message('what time is it everywhere?'));
    expect(cairn.adapter.texts()).toEqual(['I used all the tool steps I have for one message before I could finish. Say "continue" and I\'ll pick up where I stopped.']);
    const stored = cairn.db.prepare('SELECT role, content FROM messages ORDER BY created_at DESC, seq DESC LIMIT 1').get();
    expect(stored).toMatchObject({ role: 'assistant', content: expect.stringContaining('Say "continue"') });
  });

  it('retries after a 429, waiting what Retry-After says', async () => {
    const cairn = rig.start();
    rig.server.enqueue({ error: { status: 429, headers: { 'retry-after': '7' } } }, { text: 'after the wait' });
    await cairn.gateway.receive(cairn.adapter.message('hi'));
    expect(cairn.adapter.texts()).toEqual(['after the wait']);
    expect(cairn.sleeps).toEqual([7000]);
  });

  it('fails over to the fallback provider when the primary keeps failing', async () => {
    const backup = await startFakeModelServer({ defaultReply: () => ({ text: 'from the backup' }) });
    try {
      const config = testConfig(rig.server.url, { CAIRN_MAX_RETRIES: '1' });
      config.providers.push({ ...config.providers[0]!, baseUrl: backup.url, model: 'backup-model' });
      const cairn = rig.startWith(config);
      rig.server.setDefault(() => ({ error: { status: 503 } }));
      await cairn.gateway.receive(cairn.adapter.message('anyone?'));
      expect(cairn.adapter.texts()).toEqual(['from the backup']);
      expect(rig.server.chatRequests()).toHaveLength(2);
      expect(backup.chatRequests()[0]?.model).toBe('backup-model');
      const calls = cairn.db.prepare('SELECT provider, model, ok FROM model_calls ORDER BY id').all();
      expect(calls).toEqual([
        { provider: 'custom', model: 'test-model', ok: 0 },
        { provider: 'custom', model: 'test-model', ok: 0 },
        { provider: 'custom', model: 'backup-model', ok: 1 },
      ]);
    } finally {
      await backup.close();
    }
  });

  it('records usage and cost of each call', async () => {
    const config = testConfig(rig.server.url);
    config.model.pricing['test-model'] = { input: 2, output: 10, cachedInput: 1 };
    const cairn = rig.startWith(config);
    rig.server.enqueue({ text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 400 } });
    await cairn.gateway.receive(cairn.adapter.message('price me'));
    const row = cairn.db.prepare('SELECT prompt_tokens, completion_tokens, cached_tokens, cost_usd, purpose FROM model_calls').get() as Record<string, number>;
    expect(row).toMatchObject({ prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 400, purpose: 'chat' });
    // 600 uncached × $2/M + 400 cached × $1/M + 100 out × $10/M
    expect(row.cost_usd).toBeCloseTo(0.0012 + 0.0004 + 0.001, 10);
  });
});

/** `cairn start` with CAIRN_METRICS: Prometheus metrics at /metrics, behind a bearer token when one is set. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';

const TOKEN = 'metrics-token-0123456789';
let model: FakeModelServer;
let running: RunningCairn | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
  await model.close();
});

async function start(env: Record<string, string>): Promise<{ adapter: RecordingAdapter; url: string }> {
  model = await startFakeModelServer();
  running = await startCairn(testConfig(model.url, { CAIRN_HTTP_PORT: '0', CAIRN_REFLECTION: 'off', ...env }), { logger: silentLogger, host: '127.0.0.1' });
  const adapter = new RecordingAdapter();
  running.cairn.gateway.attach(adapter);
  return { adapter, url: `http://127.0.0.1:${running.port}/metrics` };
}

/** The value of one sample line, by its name and labels as Prometheus writes them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts messages, turns, model calls with their tokens, and tool calls', async () => {
    const { adapter, url } = await start({ CAIRN_METRICS: 'true', CAIRN_METRICS_TOKEN: TOKEN });
    model.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }, { name: 'made_up_tool_4821', arguments: {} }] }, { text: 'It is nine.' });
    expect(await running!.cairn.gateway.receive(adapter.message('what time is it?'))).toBe('turn');
    expect(await running!.cairn.gateway.receive(adapter.message('/help', { command: { name: 'help', args: '' } }))).toBe('command');

    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(sample(text, 'cairn_messages_total{platform="test",outcome="turn"}')).toBe(1);
    expect(sample(text, 'cairn_messages_total{platform="test",outcome="command"}')).toBe(1);
    // A command is no turn.
    expect(sample(text, 'cairn_turn_duration_seconds_count{platform="test",outcome="turn"}')).toBe(1);
    expect(text).not.toContain('cairn_turn_duration_seconds_count{platform="test",outcome="command"}');
    expect(sample(text, 'cairn_model_calls_total{purpose="chat",provider="custom",model="test-model",result="ok"}')).toBe(2);
    expect(sample(text, 'cairn_model_tokens_total{purpose="chat",model="test-model",kind="prompt"}')).toBeGreaterThan(0);
    expect(sample(text, 'cairn_tool_calls_total{tool="current_time",result="ok"}')).toBe(1);
    // A tool name the model made up is no series of its own.
    expect(sample(text, 'cairn_tool_calls_total{tool="unknown",result="error"}')).toBe(1);
    expect(text).not.toContain('made_up_tool_4821');
    expect(sample(text, 'cairn_turns_running')).toBe(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('asks for the token when one is set, and takes GET only', async () => {
    const { url } = await start({ CAIRN_METRICS: 'true', CAIRN_METRICS_TOKEN: TOKEN });
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect(await without.text()).toContain('CAIRN_METRICS_TOKEN');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('is off unless CAIRN_METRICS turns it on; on without a token it is open', async () => {
    const off = await start({});
    expect((await fetch(off.url)).status).toBe(404);
    await running!.stop();
    await model.close();
    const open = await start({ CAIRN_METRICS: 'on' });
    expect((await fetch(open.url)).status).toBe(200);
  });

  it("files a model's failed and successful calls under the name it was asked by, not the server's dated one", async () => {
    const { adapter, url } = await start({ CAIRN_METRICS: 'true', CAIRN_MAX_RETRIES: '0' });
    // The server answers for test-model under a dated name, as OpenAI does for gpt-4o: failures (which have no answer) and successes must share a series.
    model.enqueue({ text: 'hello', model: 'test-model-2024-08-06' }, { error: { status: 401 } });
    await running!.cairn.gateway.receive(adapter.message('hi'));
    await running!.cairn.gateway.receive(adapter.message('and again'));
    const text = await (await fetch(url)).text();
    const modelsOf = (metric: string) => [...new Set(text.split('\n').filter((l) => l.startsWith(`${metric}{`)).map((l) => /model="([^"]*)"/.exec(l)?.[1]))];
    expect(text).toMatch(/^cairn_model_calls_total\{.*result="ok"/m);
    expect(text).toMatch(/^cairn_model_calls_total\{.*result="auth"/m);
    expect(modelsOf('cairn_model_calls_total')).toEqual(['test-model']);
    expect(modelsOf('cairn_model_call_duration_seconds_count')).toEqual(['test-model']);
  });

  it('counts a message whose first write the database refuses (a volume gone read-only, a full disk) as failed', async () => {
    const { adapter, url } = await start({ CAIRN_METRICS: 'true' });
    running!.cairn.db.pragma('query_only = ON');
    // Its sender is told why (scenario-storage-failure.test.ts), and it is counted.
    expect(await running!.cairn.gateway.receive(adapter.message('is this saved?'))).toBe('failed');
    running!.cairn.db.pragma('query_only = OFF');
    expect(sample(await (await fetch(url)).text(), 'cairn_messages_total{platform="test",outcome="failed"}')).toBe(1);
  });

  it("starts an attached platform's outcomes at zero, so its first failure after a start is an increase", async () => {
    const { url } = await start({ CAIRN_METRICS: 'true' });
    const text = await (await fetch(url)).text();
    expect(sample(text, 'cairn_messages_total{platform="test",outcome="failed"}')).toBe(0);
    expect(sample(text, 'cairn_messages_total{platform="test",outcome="turn"}')).toBe(0);
    expect(sample(text, 'cairn_turn_duration_seconds_count{platform="test",outcome="failed"}')).toBe(0);
  });

  it('says a platform has a problem while it reconnects, though it is not down for good', async () => {
    const { adapter, url } = await start({ CAIRN_METRICS: 'true' });
    const health = { ok: true, problem: 'Discord gateway connection lost; reconnecting' as string | undefined };
    Object.assign(adapter, { health: () => health });
    let text = await (await fetch(url)).text();
    expect(sample(text, 'cairn_platform_up{platform="test"}')).toBe(1);
    expect(sample(text, 'cairn_platform_problem{platform="test"}')).toBe(1);
    health.problem = undefined;
    text = await (await fetch(url)).text();
    expect(sample(text, 'cairn_platform_problem{platform="test"}')).toBe(0);
  });

  it('answers HEAD /metrics as GET, without the body', async () => {
    const { url } = await start({ CAIRN_METRICS: 'true' });
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });
});

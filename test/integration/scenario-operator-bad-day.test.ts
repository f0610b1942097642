/**
 * An operator's bad day with `cairn start` serving Telegram and Slack, metrics on and a fallback model set:
 * the primary provider answers 500s, then stops answering, then rate-limits with a minute's Retry-After, then
 * runs out of credit, and recovers; an answer is cut off mid-stream; Telegram's token is revoked while Slack
 * goes on; the disk fills and frees again. What people are told, what /healthz, /metrics and the JSON log say,
 * and what is stored, step by step. Time is Date's, faked: a failed provider rests a minute by it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { until } from '../helpers/telegram-rig.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/logger.js';
import type { AdapterCapabilities, AdapterHealth } from '../../src/core/message.js';

/** A platform that streams answers and whose health the test sets (a revoked token). */
class Platform extends RecordingAdapter {
  override readonly capabilities: AdapterCapabilities = { threads: false, edits: true, reactions: false, typing: true, streaming: true, maxMessageLength: 4000 };
  state: AdapterHealth = { ok: true };
  health(): AdapterHealth {
    return this.state;
  }
}

const KEYS = { main: 'sk-main-secret-0123456789', backup: 'sk-backup-secret-9876543210', metrics: 'metrics-token-0123456789' };
const MINUTE = 60_000;
let primary: FakeModelServer;
let backup: FakeModelServer;
let running: RunningCairn | undefined;
let dataDir = '';
useCairnDataDir(() => (dataDir = tempDir()));

afterEach(async () => {
  await running?.stop();
  running = undefined;
  vi.useRealTimers();
  await primary.close();
  await backup.close();
});

async function startDay() {
  primary = await startFakeModelServer();
  backup = await startFakeModelServer();
  writeFileSync(join(dataDir, 'cairn.yaml'), `model:\n  fallback:\n    - { provider: custom, baseUrl: "${backup.url}", model: backup-model, apiKeyEnv: BACKUP_KEY }\n`);
  const env = {
    CAIRN_BASE_URL: primary.url,
    CAIRN_MODEL: 'main-model',
    CAIRN_API_KEY: KEYS.main,
    BACKUP_KEY: KEYS.backup,
    CAIRN_DATA_DIR: dataDir,
    CAIRN_HTTP_PORT: '0',
    CAIRN_METRICS: 'true',
    CAIRN_METRICS_TOKEN: KEYS.metrics,
    CAIRN_REFLECTION: 'off',
    // A hanging provider times out in half a second here (120 s by default); long enough for a loaded machine's answers.
    CAIRN_REQUEST_TIMEOUT_MS: '500',
    TELEGRAM_BOT_TOKEN: '1234567890:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi',
    TELEGRAM_ALLOWED_USERS: '42',
    SLACK_BOT_TOKEN: 'xoxb-1-2-abcdefghijklmnop',
    SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef',
    SLACK_ALLOWED_USERS: 'U1',
  };
  const config = loadConfig({ env, dotenv: false, cwd: dataDir, configPath: join(dataDir, 'cairn.yaml') });
  const log: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', secrets: config.secrets, format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  const telegram = new Platform('telegram');
  const slack = new Platform('slack');
  const sleeps: number[] = [];
  running = await startCairn(config, { logger, host: '127.0.0.1', sleep: async (ms) => void sleeps.push(ms), factories: { telegram: async () => telegram, slack: async () => slack } });
  const base = `http://127.0.0.1:${running.port}`;
  const { gateway } = running.cairn;
  const ada = (text: string) => gateway.receive(telegram.message(text, { conversationId: 'telegram:42', userId: 'telegram:42', senderId: '42', userName: 'Ada' }));
  const bob = (text: string) => gateway.receive(slack.message(text, { conversationId: 'slack:T1:D1', userId: 'slack:T1:U1', senderId: 'U1', userName: 'Bob' }));
  const health = async () => {
    const response = await fetch(`${base}/healthz`);
    return { status: response.status, body: (await response.json()) as { ok: boolean; problems?: Record<string, string> } };
  };
  const metricsText = async () => (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${KEYS.metrics}` } })).text();
  return { ada, bob, telegram, slack, sleeps, log, health, metricsText, env };
}

/** One sample's value, by its name and labels as Prometheus writes them. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
const calls = (text: string, model: string, result: string) => sample(text, `cairn_model_calls_total{purpose="chat",provider="custom",model="${model}",result="${result}"}`);

const fails = (status: number, headers?: Record<string, string>) => ({ error: { status, ...(headers ? { headers } : {}) } });

describe('an operator’s bad day', () => {
  it('the fallback takes over at once for everyone after the first failure, and the primary is back a minute after it recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 24, 9));
    const day = await startDay();

    // 1. The primary answers 500s: Ada's message waits out its retries, then the fallback answers.
    primary.setDefault(() => fails(500));
    backup.enqueue({ text: 'Answer from the backup.' });
    expect(await day.ada('what is on today?')).toBe('turn');
    expect(day.telegram.texts().at(-1)).toBe('Answer from the backup.');
    expect(primary.chatRequests()).toHaveLength(5);
    const warned = day.log.find((line) => line.msg === 'model provider failed; trying the next one');
    expect(warned).toMatchObject({ fromModel: 'main-model', toModel: 'backup-model', code: 'unavailable', status: 500, restMs: MINUTE });

    // Bob, on Slack, a moment later: straight to the fallback, nobody waits on the primary's retries again.
    backup.enqueue({ text: 'Backup for Bob.' });
    expect(await day.bob('and for me?')).toBe('turn');
    expect(day.slack.texts().at(-1)).toBe('Backup for Bob.');
    expect(primary.chatRequests()).toHaveLength(5);

    // 2. A minute on, the primary stops answering (a timeout): one attempt, not five, then the fallback again.
    vi.setSystemTime(Date.now() + MINUTE);
    primary.setDefault(() => ({ hang: true }));
    backup.enqueue({ text: 'Still the backup.' });
    expect(await day.ada('still there?')).toBe('turn');
    expect(primary.chatRequests()).toHaveLength(6);
    expect(day.telegram.texts().at(-1)).toBe('Still the backup.');

    // 3. It rate-limits with a minute's Retry-After: tried once, rests, the fallback answers; nobody sleeps a minute.
    vi.setSystemTime(Date.now() + MINUTE);
    primary.setDefault(() => fails(429, { 'retry-after': '60' }));
    backup.enqueue({ text: 'Backup again.' });
    const sleptBefore = day.sleeps.length;
    expect(await day.ada('hello?')).toBe('turn');
    expect(day.sleeps.slice(sleptBefore)).toEqual([]);
    expect(primary.chatRequests()).toHaveLength(7);

    // 4. It is out of credit, and the fallback fails too: people hear the lasting trouble, the operator's to mend.
    vi.setSystemTime(Date.now() + MINUTE);
    primary.setDefault(() => ({ error: { status: 402, body: { error: { code: 402, message: 'Insufficient credits' } } } }));
    backup.setDefault(() => fails(503));
    expect(await day.bob('one more?')).toBe('failed');
    expect(day.slack.texts().at(-1)).toMatch(/out of credit or quota\. The operator needs to top it up/);
    // A minute on it is still out of credit: one quick 402, and the fallback, back too, answers.
    vi.setSystemTime(Date.now() + MINUTE);
    backup.setDefault(() => ({ text: 'Backup is back.' }));
    expect(await day.ada('anyone?')).toBe('turn');
    expect(day.telegram.texts().at(-1)).toBe('Backup is back.');

    // 5. The primary recovers: within the minute it rests, calls stay with the fallback; after it, the primary answers again.
    primary.setDefault(() => ({ text: 'Primary is back.' }));
    vi.setSystemTime(Date.now() + 30_000);
    expect(await day.ada('are you ok?')).toBe('turn');
    expect(day.telegram.texts().at(-1)).toBe('Backup is back.');
    vi.setSystemTime(Date.now() + MINUTE);
    expect(await day.ada('and now?')).toBe('turn');
    expect(day.telegram.texts().at(-1)).toBe('Primary is back.');
    expect(day.log.some((line) => line.msg === 'model provider answers again; calls start with it again')).toBe(true);

    // An answer cut off mid-stream: the part shown is taken back and the whole answer comes from a new call.
    let cut!: () => void;
    primary.enqueue({ stream: ['Half of the ans', new Promise<void>((resolve) => (cut = resolve))], drop: true }, { text: 'The whole answer.' });
    const answering = day.ada('tell me everything');
    await until(() => day.telegram.events.some(({ event }) => event.type === 'text-delta' && event.text.startsWith('Half')));
    cut();
    expect(await answering).toBe('turn');
    const events = day.telegram.events.map(({ event }) => event.type);
    expect(events.slice(events.lastIndexOf('text-reset') - 1)[0]).toBe('text-delta');
    expect(events.lastIndexOf('text-reset')).toBeGreaterThan(events.lastIndexOf('typing'));
    expect(day.telegram.texts().at(-1)).toBe('The whole answer.');

    // /metrics tells the story: the primary's failures by kind, the fallback's answers, and no key.
    const metrics = await day.metricsText();
    expect(calls(metrics, 'main-model', 'unavailable')).toBe(5);
    expect(calls(metrics, 'main-model', 'timeout')).toBe(1);
    expect(calls(metrics, 'main-model', 'rate_limit')).toBe(1);
    expect(calls(metrics, 'main-model', 'quota')).toBe(2);
    expect(calls(metrics, 'backup-model', 'ok')).toBe(6);
    expect(calls(metrics, 'main-model', 'ok')).toBe(2);
    expect(sample(metrics, 'cairn_messages_total{platform="slack",outcome="failed"}')).toBe(1);
    for (const secret of Object.values(KEYS)) expect(metrics).not.toContain(secret);
    // The model's outage is no platform's: /healthz stays 200.
    expect((await day.health()).status).toBe(200);

    // Everything said was kept, in order, and no key reached the log.
    const stored = running!.cairn.db.prepare("SELECT m.role, m.content FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.conversation_id = 'telegram:42' ORDER BY m.seq").all() as { role: string; content: string }[];
    expect(stored.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(expect.arrayContaining([expect.stringContaining('what is on today?'), expect.stringContaining('tell me everything')]));
    expect(stored.at(-1)).toEqual({ role: 'assistant', content: 'The whole answer.' });
    const logText = JSON.stringify(day.log);
    for (const secret of [KEYS.main, KEYS.backup, day.env.TELEGRAM_BOT_TOKEN]) expect(logText).not.toContain(secret);
  });

  it('a revoked Telegram token shows in /healthz and /metrics while Slack goes on; a full disk is named to people and nothing half-written stays', async () => {
    const day = await startDay();
    primary.setDefault(() => ({ text: 'Fine.' }));
    day.telegram.state = { ok: false, problem: 'Telegram refused the bot token 1234567890:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi (401 Unauthorized): set a new TELEGRAM_BOT_TOKEN and restart.' };
    const sick = await day.health();
    expect(sick.status).toBe(503);
    expect(sick.body.ok).toBe(false);
    expect(sick.body.problems?.telegram).toContain('TELEGRAM_BOT_TOKEN');
    expect(JSON.stringify(sick.body)).not.toContain(day.env.TELEGRAM_BOT_TOKEN);
    let metrics = await day.metricsText();
    expect(sample(metrics, 'cairn_platform_up{platform="telegram"}')).toBe(0);
    expect(sample(metrics, 'cairn_platform_up{platform="slack"}')).toBe(1);
    expect(await day.bob('still works here?')).toBe('turn');
    expect(day.slack.texts().at(-1)).toBe('Fine.');

    // The disk fills: SQLite refuses to grow the database. Bob is told what is wrong and whose it is to mend.
    const { db } = running!.cairn;
    const rowsBefore = (db.prepare('SELECT COUNT(*) FROM messages').pluck().get() as number);
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const long = `please read this: ${'y'.repeat(20_000)}`;
    expect(await day.bob(long)).toBe('failed');
    const told = day.slack.texts().at(-1) ?? '';
    expect(told).toContain('disk is full');
    expect(told).toContain('send your message again');
    expect(told).not.toMatch(/check the logs/);
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(rowsBefore);
    expect(day.log.find((line) => line.msg === 'turn failed')).toMatchObject({ code: 'storage', err: 'database or disk is full' });

    // Space is freed: the same message goes through, and the conversation holds it once.
    db.pragma('max_page_count = 1073741823');
    expect(await day.bob(long)).toBe('turn');
    const kept = db.prepare("SELECT COUNT(*) FROM messages WHERE role = 'user' AND content LIKE '%please read this%'").pluck().get();
    expect(kept).toBe(1);
    metrics = await day.metricsText();
    expect(sample(metrics, 'cairn_messages_total{platform="slack",outcome="failed"}')).toBe(1);
    expect(sample(metrics, 'cairn_messages_total{platform="slack",outcome="turn"}')).toBe(2);

    // Afterwards `cairn usage` (run beside the start, read-only) counts Bob's two answered turns.
    await running!.stop();
    running = undefined;
    for (const [name, value] of Object.entries(day.env)) vi.stubEnv(name, value);
    const usage = JSON.parse((await runCairnInProcess('usage', '--json'))[0] ?? '{}') as { people: { user: string | null; calls: number; tokens: number }[] };
    vi.unstubAllEnvs();
    expect(usage.people.find((row) => row.user === 'slack:T1:U1')).toMatchObject({ calls: 2 });
  });
});

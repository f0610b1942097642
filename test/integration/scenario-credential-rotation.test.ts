/**
 * A security team rotates every credential Cairn uses, one after another, during a working day, while people keep
 * talking to it on Slack (HTTP events): Slack's bot token is revoked while Slack still delivers events, the model
 * provider's key is revoked mid-conversation (without a fallback, then with one), the operator puts the new key in
 * `.env` while the shell still exports the old one and runs `cairn doctor`, and Discord's token is reset. What people are told, what
 * /healthz, /metrics and the log say, and that the restart on the same data folder picks the conversation up.
 * (Telegram's revoked token is in scenario-monitoring; a proxy password in scenario-proxy-platforms; the ssh back
 * end's refused key, against a real sshd, in test/backends/ssh-refused-login.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startDiscordRig } from '../helpers/discord-rig.js';
import { ManualTimers as ManualTimeouts } from '../backends/helpers.js';
import { tempDir } from '../helpers/cairn.js';
import { until } from '../helpers/telegram-rig.js';
import { useCairnDataDir } from '../helpers/cli-in-process.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config/load.js';
import { checkModels } from '../../src/cli/doctor-models.js';
import { checkVariables } from '../../src/cli/doctor-variables.js';
import { createLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';

const SIGNING_SECRET = 'fake-signing-secret-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';
const OLD_KEY = 'sk-old-provider-key-0123456789';
const NEW_KEY = 'sk-new-provider-key-9876543210';

let model: FakeModelServer;
let slack: FakeSlackApi;
let running: RunningCairn | undefined;
let dataDir = '';
useCairnDataDir(() => (dataDir = tempDir()));

afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  vi.unstubAllEnvs();
  await model?.close();
  await slack?.close();
});

/** The provider answers only the key it holds now, as a provider does once a key is revoked. */
let validKey = OLD_KEY;
function keyChecking(request: RecordedRequest) {
  if (request.headers.authorization !== `Bearer ${validKey}`) return { error: { status: 401, body: { error: { message: 'Incorrect API key provided: sk-old-***789.', type: 'invalid_request_error', code: 'invalid_api_key' } } } };
  return { text: 'Done.' };
}

async function world() {
  validKey = OLD_KEY;
  [model, slack] = await Promise.all([startFakeModelServer(), startFakeSlackApi()]);
  model.setDefault(keyChecking);
}

/** The variables of the day: the key is OpenRouter-style, in the provider's own variable. */
function envOf(key: string): Record<string, string> {
  return {
    CAIRN_BASE_URL: model.url,
    CAIRN_MODEL: 'main-model',
    CAIRN_PROVIDER: 'custom',
    CAIRN_API_KEY: key,
    CAIRN_DATA_DIR: dataDir,
    CAIRN_HTTP_PORT: '0',
    CAIRN_METRICS: 'true',
    CAIRN_METRICS_TOKEN: METRICS_TOKEN,
    CAIRN_REFLECTION: 'off',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.url,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_ALLOWED_USERS: 'U1',
  };
}

async function boot(env: Record<string, string>, configPath?: string) {
  const config = loadConfig({ env, dotenv: false, cwd: dataDir, ...(configPath ? { configPath } : {}) });
  const log: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', secrets: config.secrets, format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
  const timers = new ManualTimers();
  running = await startCairn(config, {
    logger,
    host: '127.0.0.1',
    timers: new ManualTimeouts(),
    sleep: async () => {},
    factories: { slack: (deps) => new SlackAdapter(deps, { timer: timers.timer }) },
  });
  const port = running.port;
  const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, slack);
  const ask = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    return { status: response.status, text: await response.text() };
  };
  return { events, log, ask, logText: () => JSON.stringify(log) };
}

/** One sample's value, by its name and labels as prom-client writes them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a day of credential rotation', () => {
  it("Slack's bot token is revoked while events still come: /healthz and cairn_platform_problem name SLACK_BOT_TOKEN, and a restart with the new one goes on", async () => {
    await world();
    const day = await boot(envOf(OLD_KEY));
    expect((await day.events.message({ text: 'what is on today?' })).status).toBe(200);
    await slack.waitForMessages(1);

    // The token is revoked: Slack still delivers Ada's message, but refuses Cairn's answer.
    slack.failNext('chat.postMessage', { error: 'token_revoked' });
    expect((await day.events.message({ text: 'and tomorrow?' })).status).toBe(200);
    await until(() => day.log.some((line) => line.msg === 'sending the reply failed'));
    const health = await day.ask('/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text).problems.slack).toMatch(/token_revoked.*SLACK_BOT_TOKEN/);
    const metrics = (await day.ask('/metrics')).text;
    expect(sample(metrics, 'cairn_platform_problem{platform="slack"}')).toBe(1);
    expect(sample(metrics, 'cairn_platform_up{platform="slack"}')).toBe(0);
    expect(day.log.find((line) => line.msg === 'sending the reply failed')).toMatchObject({ platform: 'slack', err: expect.stringContaining('SLACK_BOT_TOKEN') });

    // The operator sets the new token and restarts: the conversation goes on where it was, and all is well again.
    await running!.stop();
    running = undefined;
    const next = await boot(envOf(OLD_KEY));
    expect((await next.events.message({ text: 'still there?', eventId: 'EvAfter', ts: '1700000100.000100' })).status).toBe(200);
    await slack.waitForMessages(2);
    expect((await next.ask('/healthz')).status).toBe(200);
    const history = running!.cairn.db.prepare("SELECT m.content FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.conversation_id LIKE 'slack:%' AND m.role = 'user' ORDER BY m.session_id, m.seq").pluck().all();
    expect(history).toEqual([expect.stringContaining('what is on today?'), expect.stringContaining('and tomorrow?'), expect.stringContaining('still there?')]);
  });

  it("the provider's key is revoked mid-conversation (no fallback): Ada is told it is the key, /healthz says so, and the restart with the new key answers her", async () => {
    await world();
    const day = await boot(envOf(OLD_KEY));
    expect((await day.events.message({ text: 'draft the release notes' })).status).toBe(200);
    await slack.waitForMessages(1);

    // The security team revokes the key at the provider: every call is refused from now on.
    validKey = NEW_KEY;
    expect((await day.events.message({ text: 'and add the migration step' })).status).toBe(200);
    const [told] = await slack.waitForMessages(1, (post) => post.text.includes('API key'));
    expect(told?.text).toMatch(/refused the API key/);
    expect(told?.text).not.toMatch(/\/new|try again/i);
    expect(day.log.find((line) => line.msg === 'turn failed')).toMatchObject({ code: 'auth' });
    // One request: a refused key is not retried.
    expect(model.chatRequests()).toHaveLength(2);
    const health = await day.ask('/healthz');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text).problems.model).toMatch(/refused the API key.*main-model.*cairn doctor/);
    expect((await day.ask('/readyz')).status).toBe(200);
    expect(day.logText()).not.toContain(OLD_KEY);
    expect(health.text).not.toContain(OLD_KEY);

    // The new key goes in and Cairn restarts: Ada's conversation goes on, and /healthz is well again.
    await running!.stop();
    running = undefined;
    const next = await boot(envOf(NEW_KEY));
    expect((await next.ask('/healthz')).status).toBe(200);
    expect((await next.events.message({ text: 'where were we?', eventId: 'EvAfterKey', ts: '1700000200.000100' })).status).toBe(200);
    await slack.waitForMessages(1, (post) => post.text === 'Done.' && post.ts > (told?.ts ?? ''));
    const asked = model.chatRequests().at(-1)?.messages.map((m: { content: unknown }) => String(m.content)).join('\n');
    expect(asked).toContain('and add the migration step');
    expect(asked).toContain('where were we?');
    expect((await next.ask('/healthz')).status).toBe(200);
  });

  it('with a fallback set, the fallback answers at once and /healthz stays 200 while naming the primary whose key is refused', async () => {
    await world();
    const backup = await startFakeModelServer();
    try {
      backup.setDefault(() => ({ text: 'From the backup.' }));
      writeFileSync(join(dataDir, 'cairn.yaml'), `model:\n  fallback:\n    - { provider: custom, baseUrl: "${backup.url}", model: backup-model, apiKeyEnv: BACKUP_KEY }\n`);
      const day = await boot({ ...envOf(OLD_KEY), BACKUP_KEY: 'sk-backup-key-0123456789' }, join(dataDir, 'cairn.yaml'));
      validKey = NEW_KEY;
      expect((await day.events.message({ text: 'status of the deploy?' })).status).toBe(200);
      const [answer] = await slack.waitForMessages(1);
      expect(answer?.text).toBe('From the backup.');
      expect(day.log.find((line) => line.msg === 'model provider failed; trying the next one')).toMatchObject({ code: 'auth', status: 401 });
      const health = await day.ask('/healthz');
      expect(health.status).toBe(200);
      expect(JSON.parse(health.text).problems.model).toMatch(/refused the API key \(401\) for main-model at custom:/);
    } finally {
      await running?.stop();
      running = undefined;
      await backup.close();
    }
  });

  it("the operator rotates the OpenRouter key in .env while the shell still exports the old one: doctor names OPENROUTER_API_KEY and says the environment's old value wins", async () => {
    await world();
    validKey = NEW_KEY;
    writeFileSync(join(dataDir, '.env'), `OPENROUTER_API_KEY=${NEW_KEY}\n`);
    const shell = { CAIRN_PROVIDER: 'openrouter', CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'main-model', OPENROUTER_API_KEY: OLD_KEY };
    const config = loadConfig({ env: shell, cwd: dataDir });
    const [primary] = await checkModels(config);
    expect(primary).toMatchObject({ ok: false });
    expect(primary?.detail).toMatch(/The key was refused: check OPENROUTER_API_KEY\b/);
    expect(primary?.detail).not.toContain('or the provider key variable');
    const [shadowed] = checkVariables(shell, dataDir);
    expect(shadowed).toMatchObject({ ok: false });
    expect(shadowed?.detail).toMatch(/OPENROUTER_API_KEY is set in the environment and in \.env with different values: the environment's wins/);
    expect(JSON.stringify(shadowed)).not.toContain(OLD_KEY);
    expect(JSON.stringify(shadowed)).not.toContain(NEW_KEY);

    // With the old value gone from the shell, .env's new key is used and answers.
    const fixed = loadConfig({ env: { CAIRN_PROVIDER: 'openrouter', CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'main-model' }, cwd: dataDir });
    expect((await checkModels(fixed))[0]).toMatchObject({ ok: true });
    expect(checkVariables({}, dataDir)).toEqual([]);
  });

  it("Discord's token is reset: the gateway's 4004 stops it for good, and the health names DISCORD_TOKEN instead of 'reconnecting'", async () => {
    const rig = await startDiscordRig();
    try {
      const discord = () => rig.cairn.gateway.platformStates().find((state) => state.platform === 'discord');
      expect(discord()?.health).toEqual({ ok: true });
      rig.fake.closeGateway(4004);
      await until(() => !rig.adapter.health().ok);
      expect(discord()?.health.problem).toBe('Discord closed the gateway connection for good (4004): the token was refused; set a valid DISCORD_TOKEN and restart.');
    } finally {
      await rig.close();
    }
  });
});

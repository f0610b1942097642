/**
 * `cairn setup` driven as a person would: keystrokes into the real @inquirer prompts,
 * each sent once its question shows; the model and Telegram checks go to loopback fakes.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeSlackApi } from '../fakes/slack-api.js';
import { tempDir } from '../helpers/cairn.js';
import { DOWN, ENTER, ScriptedTerminal, UP } from '../helpers/scripted-terminal.js';
import { runSetup } from '../../src/cli/setup.js';

let model: FakeModelServer;
let telegram: FakeTelegram;
let dir: string;
let printed: string[];

beforeEach(async () => {
  model = await startFakeModelServer();
  telegram = await startFakeTelegram();
  dir = tempDir();
  printed = [];
});
afterEach(async () => {
  await model.close();
  await telegram.close();
});

function setup(terminal: ScriptedTerminal, env: Record<string, string> = {}) {
  return runSetup({ envFile: join(dir, '.env'), env: { TELEGRAM_API_ROOT: telegram.apiRoot, ...env }, terminal, print: (line) => printed.push(line) });
}

describe('cairn setup', () => {
  it('asks for a local model and Telegram, checks both, and writes .env keeping what else it held', async () => {
    writeFileSync(join(dir, '.env'), '# my settings\nCAIRN_LOG_LEVEL=debug\nCAIRN_MODEL=old-model\nCAIRN_PROVIDER=custom\n');
    const terminal = new ScriptedTerminal()
      // .env names a local server: the menu starts there.
      .answer('Which model should Cairn use?', ENTER)
      // A server that is not there: the check says so, and the settings are asked again.
      .answer("Base URL of the server's OpenAI-compatible API:", `http://127.0.0.1:9/v1${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Keep these settings anyway?', `n${ENTER}`)
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', `sk-local-secret${ENTER}`)
      .answer('Which chat platforms should Cairn join?', ` ${ENTER}`)
      .answer('Telegram bot token, from @BotFather', `${telegram.token}${ENTER}`);
    await setup(terminal);
    expect(terminal.unanswered()).toEqual([]);

    const file = join(dir, '.env');
    const text = readFileSync(file, 'utf8');
    expect(parseEnv(text)).toEqual({
      CAIRN_LOG_LEVEL: 'debug',
      CAIRN_MODEL: 'test-model',
      CAIRN_PROVIDER: 'custom',
      CAIRN_BASE_URL: model.url,
      CAIRN_API_KEY: 'sk-local-secret',
      TELEGRAM_BOT_TOKEN: telegram.token,
    });
    // The other lines stay where they were; the token is never shown on screen.
    expect(text.startsWith('# my settings\nCAIRN_LOG_LEVEL=debug\nCAIRN_MODEL=test-model\nCAIRN_PROVIDER=custom\n')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(printed.join('\n')).not.toContain('sk-local-secret');
    expect(terminal.dump()).not.toContain('sk-local-secret');
    expect(terminal.dump()).not.toContain(telegram.token);
    expect(printed.filter((line) => line.startsWith('  ✗')).join('\n')).toMatch(/^ {2}✗ model \(OpenAI-compatible endpoint\): test-model at http:\/\/127\.0\.0\.1:9\/v1/);
    expect(printed).toContain(`Checking Telegram…`);
    expect(printed.some((line) => /^ {2}✓ telegram: /.test(line))).toBe(true);
    expect(printed).toContain('  npx cairn start     run Cairn on Telegram');
    // Written elsewhere than where it runs now: where to start Cairn so that it reads that file.
    expect(printed).toContain(`Cairn reads the .env of the folder it starts in: run these in ${dir}.`);
    // Nothing was removed that was not there.
    expect(printed.some((line) => line.startsWith('Removed from it'))).toBe(false);
  });

  it('writes a hosted provider without the custom settings that would override it, and says what the shell overrides', async () => {
    writeFileSync(join(dir, '.env'), 'CAIRN_BASE_URL=http://old.example/v1\nCAIRN_API_KEY=old\nTELEGRAM_BOT_TOKEN=123:old\n');
    const terminal = new ScriptedTerminal()
      // A local server first (where the menu starts: .env has a base URL), whose check fails, then OpenRouter: nothing of the first answer stays.
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", `http://127.0.0.1:9/v1${ENTER}`)
      .answer('Model name, as the server calls it:', `local-model${ENTER}`)
      .answer('API key, if the server needs one', `sk-local${ENTER}`)
      .answer('Keep these settings anyway?', `n${ENTER}`)
      .answer('Which model should Cairn use?', `${UP}${UP}${ENTER}`)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-secret${ENTER}`)
      .answer('Model:', ENTER)
      // Telegram was set up before: unticked now, its token goes.
      .answer('Which chat platforms should Cairn join?', ` ${ENTER}`);
    // The shell's base URL (the fake) is what Cairn would use, and the checks go there: the first is refused.
    model.enqueue({ error: { status: 401 } });
    await setup(terminal, { CAIRN_BASE_URL: model.url });
    expect(terminal.unanswered()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toEqual({ CAIRN_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-secret', CAIRN_MODEL: 'nousresearch/hermes-4-70b' });
    expect(printed).toContain('Removed from it: CAIRN_BASE_URL, CAIRN_API_KEY, TELEGRAM_BOT_TOKEN.');
    expect(printed).toContain('Note: your shell also sets CAIRN_BASE_URL, which wins over .env: unset it, or Cairn uses that.');
    expect(printed.some((line) => line.startsWith('  npx cairn start'))).toBe(false);
  });

  it('takes the second answer for a platform asked again: a rejected Slack app token is not kept beside the signing secret that replaced it', async () => {
    const slack = await startFakeSlackApi();
    try {
      const terminal = new ScriptedTerminal()
        .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
        .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
        .answer('Model name, as the server calls it:', `test-model${ENTER}`)
        .answer('API key, if the server needs one', ENTER)
        .answer('Which chat platforms should Cairn join?', `${DOWN} ${ENTER}`)
        // Socket Mode with a wrong app token: the check fails.
        .answer('Slack bot token', `${slack.botToken}${ENTER}`)
        .answer('How should Slack send events to Cairn?', ENTER)
        .answer('App-level token for Socket Mode', `xapp-wrong-token${ENTER}`)
        .answer('Enter the Slack settings again?', `y${ENTER}`)
        // Events over HTTP instead, with a signing secret.
        .answer('Slack bot token', `${slack.botToken}${ENTER}`)
        .answer('How should Slack send events to Cairn?', `${DOWN}${ENTER}`)
        .answer('Signing secret', `signing-secret-123${ENTER}`);
      await setup(terminal, { SLACK_API_URL: slack.url });
      expect(terminal.unanswered()).toEqual([]);
      const written = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
      expect(written).toMatchObject({ SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 'signing-secret-123' });
      expect(written.SLACK_APP_TOKEN).toBeUndefined();
      expect(printed.filter((line) => /^ {2}[✓✗] slack/.test(line)).map((line) => line.slice(0, 3))).toEqual(['  ✗', '  ✓']);
    } finally {
      await slack.close();
    }
  });

  it('writes nothing when cancelled with Ctrl-C', async () => {
    const terminal = new ScriptedTerminal().answer('Which model should Cairn use?', '\x03');
    await setup(terminal);
    expect(printed.at(-1)).toBe('Setup cancelled; nothing was written.');
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });
});

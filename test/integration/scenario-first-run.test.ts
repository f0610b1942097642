/**
 * A newcomer's first hour, as the README's first lines lead it: a fresh folder where `cairn chat`
 * says to run setup; setup cancelled halfway with Ctrl-C (nothing written) and run again, a wrong
 * OpenRouter key answered first (asked again from OpenRouter, not the top of the menu) and a Telegram
 * token pasted with spaces around it; `cairn doctor` with Slack half set up by hand; the first
 * `cairn start` on the fake Bot API; a stranger's DM answered with a pairing code and the command
 * the operator runs; `cairn pairing approve`; the first answer.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';
import { loadConfig, requireModel } from '../../src/config/load.js';
import { runSetup } from '../../src/cli/setup.js';
import { runDoctor } from '../../src/cli/doctor.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';

let model: FakeModelServer;
let telegram: FakeTelegram;
let running: RunningCairn | undefined;
let dir: string;
beforeEach(async () => {
  model = await startFakeModelServer();
  telegram = await startFakeTelegram();
  dir = tempDir();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await model.close();
  await telegram.close();
});
useCairnDataDir(() => join(dir, 'data'));

/** What the person's shell sets: the fakes stand in for OpenRouter and Telegram. */
const shell = () => ({ CAIRN_BASE_URL: model.url, TELEGRAM_API_ROOT: telegram.apiRoot, CAIRN_DATA_DIR: join(dir, 'data'), CAIRN_HTTP_PORT: '0', CAIRN_REFLECTION: 'off' });

function dm(text: string, messageId: number) {
  return { message: { message_id: messageId, date: 1_700_000_000, chat: { id: 77, type: 'private', first_name: 'Nia' }, from: { id: 77, is_bot: false, first_name: 'Nia' }, text } };
}

describe("a newcomer's first hour", () => {
  it('goes from an empty folder to a paired person answered on Telegram', async () => {
    const envFile = join(dir, '.env');
    const printed: string[] = [];
    const setup = (terminal: ScriptedTerminal) => runSetup({ envFile, env: shell(), terminal, print: (line) => printed.push(line), cwd: dir });

    // Nothing configured: the first command says to run setup.
    expect(() => requireModel(loadConfig({ env: {}, cwd: dir }))).toThrow(/Run `npx cairn setup`/);

    // Ctrl-C halfway: nothing is written, not even part of the answers.
    const cancelled = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${ENTER}`)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-first${ENTER}`)
      .answer('Model:', '\x03');
    expect(await setup(cancelled)).toBe('cancelled');
    expect(existsSync(envFile)).toBe(false);

    // Again: a wrong key first. Asked again, Enter keeps OpenRouter and the model name.
    model.enqueue({ error: { status: 401 } });
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${ENTER}`)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-wrong${ENTER}`)
      .answer('Model:', ENTER)
      .answer('Keep these settings anyway?', ENTER)
      .answer('Which model should Cairn use?', ENTER)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-right${ENTER}`)
      .answer('Model:', ENTER)
      .answer('Which chat platforms should Cairn join?', ` ${ENTER}`)
      .answer('Telegram bot token, from @BotFather', `  ${telegram.token} ${ENTER}`);
    expect(await setup(terminal)).toBe('written');
    expect(terminal.unanswered()).toEqual([]);
    expect(printed.filter((line) => /^ {2}[✓✗] /.test(line)).map((line) => line.slice(0, 12))).toEqual(['  ✗ model (O', '  ✓ model (O', '  ✓ telegram']);
    expect(printed.find((line) => line.startsWith('  ✗'))).toContain('The key was refused');
    expect(parseEnv(readFileSync(envFile, 'utf8'))).toEqual({ CAIRN_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-right', CAIRN_MODEL: 'nousresearch/hermes-4-70b', TELEGRAM_BOT_TOKEN: telegram.token });
    expect(printed).toContain('  npx cairn start     run Cairn on Telegram');

    // Slack half set up by hand (the app token, not the bot token): doctor says Slack does not run.
    appendFileSync(envFile, 'SLACK_APP_TOKEN=xapp-1-A1-1-abc\n');
    const config = () => loadConfig({ env: shell(), cwd: dir });
    const doctor: string[] = [];
    model.setDefault(() => ({ text: 'OK' }));
    expect(await runDoctor(config(), (line) => void doctor.push(line))).toBe(false);
    expect(doctor).toContainEqual(expect.stringMatching(/^✓ telegram: @cairn_bot/));
    expect(doctor).toContainEqual('✗ slack: SLACK_APP_TOKEN is set, but SLACK_BOT_TOKEN is not, so Cairn does not run on Slack: set SLACK_BOT_TOKEN (xoxb-…, under OAuth & Permissions), or remove SLACK_APP_TOKEN.');
    expect(doctor).not.toContainEqual(expect.stringMatching(/platforms: none configured/));

    // The first start; a stranger's DM gets a pairing code and the command to run.
    running = await startCairn(config(), { logger: silentLogger, host: '127.0.0.1' });
    const modelCalls = model.chatRequests().length;
    telegram.pushUpdate(dm('hello?', 1));
    const [pairing] = await telegram.waitForSent(1);
    const code = /pairing code is ([A-Z0-9]{8})/.exec(String(pairing?.text))?.[1] ?? '';
    expect(String(pairing?.text)).toContain(`pairing approve ${code}`);
    // Not a word of it reached the model.
    expect(model.chatRequests()).toHaveLength(modelCalls);

    // The operator approves it from another shell; the next message is answered.
    const approved = await runCairnInProcess('pairing', 'approve', code);
    expect(approved[0]).toBe('Approved Nia (telegram user 77). They can talk to Cairn now.');
    expect(approved[1]).toContain('TELEGRAM_ADMIN_USERS=77');
    model.enqueue({ text: 'Hi Nia! Ask me anything.' });
    telegram.pushUpdate(dm('what can you do?', 2));
    const sent = await telegram.waitForSent(2);
    expect(sent[1]?.text).toBe('Hi Nia! Ask me anything.');
  });
});

/**
 * `cairn setup` driven as a person would: keystrokes into the real @inquirer prompts,
 * each sent once its question shows; the model and Telegram checks go to loopback fakes.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { parseEnv, stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeSlackApi } from '../fakes/slack-api.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';

const DOWN = '\x1b[B';
const ENTER = '\r';

/**
 * The terminal's screen. Each prompt pipes its output here and ends that pipe when done,
 * which would end any stream but stdout: this one stays open, as stdout does.
 */
class Screen extends Writable {
  constructor(private readonly onText: (text: string) => void) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.onText(chunk.toString());
    done();
  }

  override end(): this {
    return this;
  }
}

/** A terminal whose answers are typed when their question shows. */
class ScriptedTerminal {
  readonly input = new PassThrough();
  readonly output = new Screen((text) => {
    this.screen += stripVTControlCharacters(text);
    this.type();
  });
  private screen = '';
  /** Where the screen stood when the last answer was typed: the next question shows after it. */
  private from = 0;
  private readonly script: { question: string; keys: string }[] = [];

  answer(question: string, keys: string): this {
    this.script.push({ question, keys });
    return this;
  }

  /** Questions the script did not reach. */
  unanswered(): string[] {
    return this.script.map((step) => step.question);
  }

  /** All the prompts showed, their colours taken out. */
  dump(): string {
    return this.screen;
  }

  private type(): void {
    const next = this.script[0];
    if (!next || !this.screen.slice(this.from).includes(`? ${next.question}`)) return;
    this.script.shift();
    this.from = this.screen.length;
    // The prompt listens for keys once it has drawn itself; each key on its own, as typed.
    const keys = keystrokes(next.keys);
    const typeNext = () => {
      const key = keys.shift();
      if (key === undefined) return;
      this.input.write(key);
      setImmediate(typeNext);
    };
    setImmediate(typeNext);
  }
}

/** Typed text as keystrokes: an arrow key (ESC [ B) is one. */
function keystrokes(typed: string): string[] {
  const keys: string[] = [];
  for (let at = 0; at < typed.length; at++) {
    const arrow = typed[at] === DOWN[0];
    keys.push(arrow ? typed.slice(at, at + 3) : (typed[at] ?? ''));
    if (arrow) at += 2;
  }
  return keys;
}

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
      // A local server first, whose check fails, then OpenRouter: nothing of the first answer stays.
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `http://127.0.0.1:9/v1${ENTER}`)
      .answer('Model name, as the server calls it:', `local-model${ENTER}`)
      .answer('API key, if the server needs one', `sk-local${ENTER}`)
      .answer('Keep these settings anyway?', `n${ENTER}`)
      .answer('Which model should Cairn use?', `${DOWN}${ENTER}`)
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
        .answer('App-level token for Socket Mode', `xapp-wrong-token${ENTER}`)
        .answer('Enter the Slack settings again?', `y${ENTER}`)
        // Events over HTTP instead, with a signing secret.
        .answer('Slack bot token', `${slack.botToken}${ENTER}`)
        .answer('App-level token for Socket Mode', ENTER)
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

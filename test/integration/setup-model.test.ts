/**
 * The model step of `cairn setup`: the one short request it announces (not doctor's probes of
 * every side model), a hand-written .env's provider and model kept, and answers or settings
 * the configuration would refuse asked for again instead of ending setup.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';

const BACKSPACE = '\x7f';

let model: FakeModelServer;
let dir: string;

beforeEach(async () => {
  model = await startFakeModelServer();
  dir = tempDir();
});
afterEach(async () => {
  await model.close();
});

describe('cairn setup, the model check', () => {
  it('sends the one short request it announces, not one more per aux, embeddings, transcription and vision model', async () => {
    writeFileSync(
      join(dir, '.env'),
      `CAIRN_PROVIDER=custom\nCAIRN_BASE_URL=${model.url}\nCAIRN_MODEL=test-model\nCAIRN_AUX_MODEL=small-model\nCAIRN_EMBEDDINGS_MODEL=embed-model\nCAIRN_TRANSCRIBE_MODEL=whisper-1\nCAIRN_VISION_MODEL=vision-model\n`,
    );
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", ENTER)
      .answer('Model name, as the server calls it:', ENTER)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) });

    expect(printed).toContain('Checking the model with one short request…');
    expect(printed.filter((line) => /^ {2}[✓✗] /.test(line))).toHaveLength(1);
    expect(model.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /v1/chat/completions']);
  });

  it("drops the old endpoint's aux, embeddings, transcription and vision models when the model moves to another endpoint, and says so", async () => {
    writeFileSync(join(dir, '.env'), 'CAIRN_PROVIDER=openai\nOPENAI_API_KEY=sk-mine\nCAIRN_MODEL=gpt-4o\nCAIRN_AUX_MODEL=gpt-4o-mini\nCAIRN_EMBEDDINGS_MODEL=text-embedding-3-small\n');
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`) // a local server
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) });
    const written = readFileSync(join(dir, '.env'), 'utf8');
    expect(written).toContain('CAIRN_MODEL=test-model');
    expect(written).not.toContain('CAIRN_AUX_MODEL');
    expect(written).not.toContain('CAIRN_EMBEDDINGS_MODEL');
    expect(printed.join('\n')).toMatch(/CAIRN_AUX_MODEL/);
  });
});

describe('cairn setup over a hand-written .env without CAIRN_PROVIDER', () => {
  it('offers the CAIRN_MODEL in .env as the default model of the provider Cairn infers (OpenAI from OPENAI_API_KEY)', async () => {
    writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=sk-mine\nCAIRN_MODEL=gpt-4o\n');
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER) // OpenAI
      .answer('OpenAI API key (OPENAI_API_KEY), empty to keep', ENTER)
      .answer('Model:', ENTER) // keep what it had
      .answer('Which chat platforms should Cairn join?', ENTER);
    // The check goes to the fake (the shell's base URL wins, as in test/integration/setup.test.ts).
    await runSetup({ envFile: join(dir, '.env'), env: { CAIRN_BASE_URL: model.url }, terminal, print: () => undefined });
    expect(terminal.unanswered()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).CAIRN_MODEL).toBe('gpt-4o');
  });

  it('starts the menu on the local server for a .env with CAIRN_BASE_URL and CAIRN_MODEL, and offers that model', async () => {
    writeFileSync(join(dir, '.env'), `CAIRN_BASE_URL=${model.url}\nCAIRN_MODEL=test-model\n`);
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER)
      .maybe("Base URL of the server's OpenAI-compatible API:", ENTER)
      .maybe('Model name, as the server calls it:', ENTER)
      .maybe('API key, if the server needs one', ENTER)
      // What it asks instead when the menu started on OpenAI: stop there.
      .maybe('OpenAI API key', '\x03')
      .maybe('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: () => undefined });
    expect(terminal.dump()).not.toContain('OpenAI API key');
    expect(terminal.dump()).toContain('? Model name, as the server calls it: (test-model)');
  });
});

describe('cairn setup and a configuration Cairn would refuse', () => {
  it('asks again for a base URL the config would refuse (http:/host…, a slash missing) instead of failing after the questions', async () => {
    const typo = model.url.replace('http://', 'http:/');
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${typo}${ENTER}`)
      // Asked again (the typo refused): clear the line and type it right.
      .answer("Base URL of the server's OpenAI-compatible API:", `${BACKSPACE.repeat(typo.length + 5)}${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    const outcome = await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: () => undefined }).then(
      () => 'finished',
      (error: Error) => `failed: ${error.message}`,
    );
    expect(outcome).toBe('finished');
    expect(terminal.unanswered()).toEqual([]);
    expect(existsSync(join(dir, '.env'))).toBe(true);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).CAIRN_BASE_URL).toBe(model.url);
    expect(terminal.dump()).toContain('Enter the whole address, starting with http:// or https://');
  });

  it('shows what the config refuses in a setting it does not ask about, and keeps the answers when told to', async () => {
    writeFileSync(join(dir, '.env'), 'CAIRN_SEARCH_PROVIDER=searxng\nCAIRN_SEARCH_URL=localhost:8888\n');
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Keep these settings anyway?', `y${ENTER}`)
      .answer('Which chat platforms should Cairn join?', ENTER);
    expect(await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) })).toBe('written');
    expect(terminal.unanswered()).toEqual([]);
    expect(printed.filter((line) => line.startsWith('  ✗'))).toEqual([expect.stringMatching(/^ {2}✗ configuration: .*CAIRN_SEARCH_URL/)]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toMatchObject({ CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'test-model', CAIRN_SEARCH_URL: 'localhost:8888' });
  });
});

describe("cairn setup run again over a local server's API key", () => {
  const KEY = 'sk-local-server-key-123';
  const rerun = async (keyAnswer: string) => {
    // The server wants its key, as vLLM started with --api-key does.
    model.setDefault((request) => (request.headers.authorization === `Bearer ${KEY}` ? { text: 'ok' } : { error: { status: 401 } }));
    writeFileSync(join(dir, '.env'), `CAIRN_PROVIDER=custom\nCAIRN_BASE_URL=${model.url}\nCAIRN_MODEL=test-model\nCAIRN_API_KEY=${KEY}\n`);
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", ENTER)
      .answer('Model name, as the server calls it:', ENTER)
      .answer('API key, if the server needs one (empty: keep the one in .env; -: none)', keyAnswer)
      .maybe('Keep these settings anyway?', `y${ENTER}`)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) });
    return { printed, env: parseEnv(readFileSync(join(dir, '.env'), 'utf8')) };
  };

  it('keeps the key on Enter, as every other key and token is kept (it was dropped, and the check failed with 401)', async () => {
    const { printed, env } = await rerun(ENTER);
    expect(printed.filter((line) => line.startsWith('  ✗'))).toEqual([]);
    expect(env.CAIRN_API_KEY).toBe(KEY);
  });

  it('drops it when told the server needs none', async () => {
    const { env } = await rerun(`-${ENTER}`);
    expect(env.CAIRN_API_KEY).toBeUndefined();
  });
});

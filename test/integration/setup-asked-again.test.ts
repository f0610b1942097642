/**
 * `cairn setup` asked again after a failed model check: each question starts from the answer just
 * given (most often only the key was wrong), not from the top of the menu and Ollama's address.
 * And a base URL pasted as an API doc's curl line shows it (…/v1/models) is asked for again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';
import { runSetup } from '../../src/cli/setup.js';

let model: FakeModelServer;
let dir: string;
beforeEach(async () => {
  model = await startFakeModelServer();
  dir = tempDir();
});
afterEach(async () => {
  await model.close();
});

describe('setup asked again after a failed check', () => {
  it('starts from the provider just chosen, not the top of the menu', async () => {
    model.enqueue({ error: { status: 401 } });
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${ENTER}`)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-wrong${ENTER}`)
      .answer('Model:', ENTER)
      .answer('Keep these settings anyway?', ENTER)
      .answer('Which model should Cairn use?', ENTER)
      .answer('OpenRouter API key (OPENROUTER_API_KEY)', `sk-or-right${ENTER}`)
      .answer('Model:', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: { CAIRN_BASE_URL: model.url }, terminal, print: () => undefined });
    expect(terminal.unanswered()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toMatchObject({ CAIRN_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-right' });
  });

  it('offers the base URL and model name just typed for a local server', async () => {
    model.enqueue({ error: { status: 401 } });
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `my-model${ENTER}`)
      .answer('API key, if the server needs one', `wrong${ENTER}`)
      .answer('Keep these settings anyway?', ENTER)
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", ENTER)
      .answer('Model name, as the server calls it:', ENTER)
      .answer('API key, if the server needs one', `right${ENTER}`)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: () => undefined });
    expect(terminal.unanswered()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toMatchObject({ CAIRN_PROVIDER: 'custom', CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'my-model', CAIRN_API_KEY: 'right' });
  });
});

describe('setup, a base URL pasted from an API doc', () => {
  it("asks again for the models endpoint's address (vLLM's and LM Studio's first curl line)", async () => {
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}/models${ENTER}`)
      // Ctrl-U: the refused answer is erased before the right one is typed.
      .answer("Base URL of the server's OpenAI-compatible API:", `\x15${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `my-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: () => undefined });
    expect(terminal.unanswered()).toEqual([]);
    expect(terminal.dump().replaceAll('\n', '')).toContain(`Enter the address without /models (${model.url}): Cairn adds it.`);
    expect(model.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });
});

describe('setup, a base URL ending in a path of its own', () => {
  it('takes a bare /models (Azure AI Foundry serves its chat endpoint under it)', async () => {
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url.replace(/\/v1$/, '')}/models${ENTER}`)
      .answer('Model name, as the server calls it:', `my-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: () => undefined });
    expect(terminal.unanswered()).toEqual([]);
    expect(model.requests.map((request) => request.path)).toEqual(['/models/chat/completions']);
  });
});

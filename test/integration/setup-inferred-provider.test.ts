/**
 * `cairn setup` run again starts from what .env has, also when .env was written by hand as the
 * README says, without CAIRN_PROVIDER (OPENAI_API_KEY alone, or CAIRN_BASE_URL and CAIRN_MODEL
 * for a local server): the provider is the one Cairn infers, and the model is .env's, so Enter
 * through the questions (to add a chat platform) keeps both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';

let model: FakeModelServer;
let dir: string;

beforeEach(async () => {
  model = await startFakeModelServer();
  dir = tempDir();
});
afterEach(async () => {
  await model.close();
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

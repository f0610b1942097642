/**
 * `cairn setup` says "Checking the model with one short request…", and sends just that: not
 * doctor's probes of the aux, embeddings, transcription and vision models .env may name (an
 * image and an audio file among them, billed on a hosted provider, and up to 20 s each on an
 * endpoint that does not answer).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';

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

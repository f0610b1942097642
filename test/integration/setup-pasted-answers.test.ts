/**
 * Answers pasted as they come from a web page or an API's docs: a key with a character no key
 * has (a no-break space, a typographic hyphen), and the chat endpoint's own address given as the
 * base URL. Each is asked for again, saying what is wrong, before anything is sent or written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';

/** Ctrl-U: the line typed so far is erased (a refused answer stays in the prompt, to be fixed). */
const ERASE_LINE = '\x15';

let model: FakeModelServer;
let dir: string;
beforeEach(async () => {
  model = await startFakeModelServer();
  dir = tempDir();
});
afterEach(async () => {
  await model.close();
});

function written(): Record<string, string> {
  return parseEnv(readFileSync(join(dir, '.env'), 'utf8')) as Record<string, string>;
}

describe('cairn setup, answers pasted wrong', () => {
  it('asks again for a key holding a character no key has, naming it, and sends none with it', async () => {
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      // A typographic hyphen (U+2010) where the key has "-": no HTTP header can carry it.
      .answer('API key, if the server needs one', `sk\u2010local-key${ENTER}`)
      .answer('API key, if the server needs one', `${ERASE_LINE}sk-local-key${ENTER}`)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) });
    expect(terminal.unanswered()).toEqual([]);
    expect(terminal.dump()).toContain('Character 3 is U+2010, which no key or token has');
    expect(printed.join('\n')).not.toContain('ByteString');
    expect(model.requests.map((request) => request.headers.authorization)).toEqual(['Bearer sk-local-key']);
    expect(written().CAIRN_API_KEY).toBe('sk-local-key');
  });

  it('asks again for a base URL ending in /chat/completions (Cairn adds that itself)', async () => {
    const printed: string[] = [];
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', `${DOWN}${DOWN}${DOWN}${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${model.url}/chat/completions${ENTER}`)
      .answer("Base URL of the server's OpenAI-compatible API:", `${ERASE_LINE}${model.url}${ENTER}`)
      .answer('Model name, as the server calls it:', `test-model${ENTER}`)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: {}, terminal, print: (line) => printed.push(line) });
    expect(terminal.unanswered()).toEqual([]);
    // The prompt wraps its lines at 80 columns.
    expect(terminal.dump().replaceAll('\n', '')).toContain(`Enter the address without /chat/completions (${model.url}): Cairn adds it.`);
    expect(written().CAIRN_BASE_URL).toBe(model.url);
    expect(model.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
  });
});

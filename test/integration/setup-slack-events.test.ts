/**
 * `cairn setup` run again over a .env that has a Slack app token (Socket Mode): a person whose
 * app token was revoked moves Slack to HTTP events. An empty answer keeps a token, so the way
 * events come is a question of its own, and only the chosen way's setting stays in .env.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { tempDir } from '../helpers/cairn.js';
import { runSetup } from '../../src/cli/setup.js';
import { DOWN, ENTER, ScriptedTerminal } from '../helpers/scripted-terminal.js';

let model: FakeModelServer;
let slack: FakeSlackApi;
let dir: string;
let printed: string[];

beforeEach(async () => {
  model = await startFakeModelServer();
  slack = await startFakeSlackApi();
  dir = tempDir();
  printed = [];
});
afterEach(async () => {
  await model.close();
  await slack.close();
});

describe('cairn setup over a Slack Socket Mode .env', () => {
  it('moves Slack to HTTP events when asked: the signing secret is asked for and the old app token removed', async () => {
    // Set up before in Socket Mode; the app token has since been revoked (the fake refuses it).
    writeFileSync(join(dir, '.env'), `CAIRN_PROVIDER=custom\nCAIRN_BASE_URL=${model.url}\nCAIRN_MODEL=test-model\nSLACK_BOT_TOKEN=${slack.botToken}\nSLACK_APP_TOKEN=xapp-revoked\n`);
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", ENTER)
      .answer('Model name, as the server calls it:', ENTER)
      .answer('API key, if the server needs one', ENTER)
      // Slack is ticked already (it is configured).
      .answer('Which chat platforms should Cairn join?', ENTER)
      .answer('Slack bot token', ENTER)
      // The menu starts on Socket Mode, what .env has; HTTP is the next choice.
      .answer('How should Slack send events to Cairn?', `${DOWN}${ENTER}`)
      .maybe('Signing secret', `signing-secret-123${ENTER}`)
      // If the signing secret was never asked, the check failed on the old app token: stop there.
      .maybe('Enter the Slack settings again?', `n${ENTER}`);
    await runSetup({ envFile: join(dir, '.env'), env: { SLACK_API_URL: slack.url }, terminal, print: (line) => printed.push(line) });

    const written = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(terminal.dump()).toContain('? Signing secret');
    expect(written.SLACK_APP_TOKEN).toBeUndefined();
    expect(written.SLACK_SIGNING_SECRET).toBe('signing-secret-123');
    expect(printed.filter((line) => /^ {2}[✓✗] slack/.test(line)).map((line) => line.slice(0, 3))).toEqual(['  ✓']);
    expect(printed).toContain('Removed from it: SLACK_APP_TOKEN.');
  });

  it('keeps Socket Mode and its app token on Enter through the questions', async () => {
    writeFileSync(join(dir, '.env'), `CAIRN_PROVIDER=custom\nCAIRN_BASE_URL=${model.url}\nCAIRN_MODEL=test-model\nSLACK_BOT_TOKEN=${slack.botToken}\nSLACK_APP_TOKEN=${slack.appToken}\n`);
    const terminal = new ScriptedTerminal()
      .answer('Which model should Cairn use?', ENTER)
      .answer("Base URL of the server's OpenAI-compatible API:", ENTER)
      .answer('Model name, as the server calls it:', ENTER)
      .answer('API key, if the server needs one', ENTER)
      .answer('Which chat platforms should Cairn join?', ENTER)
      .answer('Slack bot token', ENTER)
      .answer('How should Slack send events to Cairn?', ENTER)
      // Empty: the one in .env is kept.
      .answer('App-level token for Socket Mode', ENTER);
    await runSetup({ envFile: join(dir, '.env'), env: { SLACK_API_URL: slack.url }, terminal, print: (line) => printed.push(line) });

    expect(terminal.unanswered()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toMatchObject({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken });
    expect(printed.filter((line) => /^ {2}[✓✗] slack/.test(line)).map((line) => line.slice(0, 3))).toEqual(['  ✓']);
  });
});

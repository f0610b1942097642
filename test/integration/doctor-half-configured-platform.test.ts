/**
 * `cairn doctor` with a platform half set up: its other settings there, not the token that turns
 * it on. `cairn start` runs without that platform, so doctor says so and what to set, instead of
 * "✓ platforms: none configured".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { runDoctor } from '../../src/cli/doctor.js';

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer();
  model.setDefault(() => ({ text: 'OK' }));
});
afterEach(async () => {
  await model.close();
});

async function doctor(env: Record<string, string>) {
  const lines: string[] = [];
  const ok = await runDoctor(testConfig(model.url, env), (line) => void lines.push(line));
  return { ok, lines };
}

describe('doctor, a platform half configured', () => {
  it('Slack app token and signing secret without the bot token', async () => {
    const { ok, lines } = await doctor({ SLACK_APP_TOKEN: 'xapp-1-A1-1-abc', SLACK_SIGNING_SECRET: 'abc' });
    expect(lines).toContainEqual('✗ slack: SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set, but SLACK_BOT_TOKEN is not, so Cairn does not run on Slack: set SLACK_BOT_TOKEN (xoxb-…, under OAuth & Permissions), or remove SLACK_APP_TOKEN and SLACK_SIGNING_SECRET.');
    expect(lines.some((line) => line.includes('none configured'))).toBe(false);
    expect(ok).toBe(false);
  });
  it('Discord application id without the token', async () => {
    const { lines } = await doctor({ DISCORD_APPLICATION_ID: '123456789012' });
    expect(lines.find((line) => line.includes('platforms') || line.includes('discord'))).toMatch(/^✗ discord: DISCORD_APPLICATION_ID is set, but DISCORD_TOKEN is not/);
  });
  it('Telegram webhook URL without the token', async () => {
    const { lines } = await doctor({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram' });
    expect(lines.find((line) => line.includes('platforms') || line.includes('telegram'))).toMatch(/^✗ telegram: TELEGRAM_WEBHOOK_URL is set, but TELEGRAM_BOT_TOKEN is not/);
  });

  it('says nothing of a platform that is simply not set up', async () => {
    const { lines } = await doctor({});
    expect(lines).toContainEqual(expect.stringMatching(/^✓ platforms: none configured/));
    expect(lines.some((line) => /^✗ (telegram|slack|discord)/.test(line))).toBe(false);
  });
});

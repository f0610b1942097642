import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkAdminChannel, checkEnvFile, checkMetrics } from '../../src/cli/doctor-settings.js';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cairn.js';

const config = (env: Record<string, string>) => loadConfig({ env, dotenv: false, cwd: tempDir() });

describe('doctor: settings that point elsewhere', () => {
  it('checks that the admin channel is a conversation of a platform Cairn runs', () => {
    expect(checkAdminChannel(config({}))).toEqual([]);
    expect(checkAdminChannel(config({ CAIRN_ADMIN_CHANNEL: 'telegram:-100123', TELEGRAM_BOT_TOKEN: '1:x' }))).toEqual([{ name: 'admin channel', ok: true, detail: 'telegram:-100123: audit reports, and approval requests of people who are not admins' }]);
    const elsewhere = checkAdminChannel(config({ CAIRN_ADMIN_CHANNEL: 'slack:T1:C1', TELEGRAM_BOT_TOKEN: '1:x' }));
    expect(elsewhere[0]).toMatchObject({ ok: false, detail: expect.stringContaining('on slack, which Cairn does not run (configured: telegram)') });
    expect(checkAdminChannel(config({ CAIRN_ADMIN_CHANNEL: 'general' }))[0]).toMatchObject({ ok: false, detail: expect.stringContaining('which is no conversation id') });
  });

  it('says whether the metrics are open to whoever reaches the port', () => {
    expect(checkMetrics(config({}))).toEqual([]);
    expect(checkMetrics(config({ CAIRN_METRICS: 'true' }))[0]?.detail).toBe('GET /metrics on port 8080, open to whoever reaches the port (set CAIRN_METRICS_TOKEN unless only your network does)');
    expect(checkMetrics(config({ CAIRN_METRICS: 'true', CAIRN_METRICS_TOKEN: 'a-token-of-24-characters' }))[0]?.detail).toBe('GET /metrics on port 8080, with the bearer token');
  });

  it('asks for a .env holding tokens to be readable by its owner only', () => {
    const dir = tempDir();
    expect(checkEnvFile(dir)).toEqual([]);
    writeFileSync(join(dir, '.env'), 'CAIRN_LOG_LEVEL=debug\n');
    expect(checkEnvFile(dir)).toEqual([]);
    writeFileSync(join(dir, '.env'), 'CAIRN_MODEL=m\nOPENAI_API_KEY=sk-1\nTELEGRAM_BOT_TOKEN=1:x\n');
    chmodSync(join(dir, '.env'), 0o644);
    expect(checkEnvFile(dir)).toEqual([{ name: '.env', ok: false, detail: `${join(dir, '.env')} holds OPENAI_API_KEY, TELEGRAM_BOT_TOKEN and other users on this machine can read it: run \`chmod 600 ${join(dir, '.env')}\`.` }]);
    chmodSync(join(dir, '.env'), 0o600);
    expect(checkEnvFile(dir)[0]).toMatchObject({ ok: true, detail: expect.stringContaining('readable by its owner only') });
  });
});

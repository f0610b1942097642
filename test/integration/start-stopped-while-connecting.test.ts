/**
 * SIGTERM while a platform still connects at start (Discord waits up to 60 s for its gateway, a Bot API call
 * is retried): the stop must not wait for the whole start, or Docker (10 s) and Kubernetes (30 s) kill Cairn first.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { startCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Adapter } from '../../src/core/message.js';
import { openDatabase } from '../../src/store/db.js';

describe('a stop asked for while an adapter starts', () => {
  it('stops the start at once: the connecting adapter and the started one are stopped, the database closed', { timeout: 5_000 }, async () => {
    const model = await startFakeModelServer();
    const stopped: string[] = [];
    let connecting!: () => void;
    const isConnecting = new Promise<void>((resolve) => (connecting = resolve));
    const adapter = (platform: string, start: () => Promise<void>, onStop: () => void = () => {}): Adapter => ({
      platform,
      capabilities: { threads: false, edits: false, reactions: false, typing: false, streaming: false, maxMessageLength: 4096 },
      start,
      stop: async () => {
        stopped.push(platform);
        onStop();
      },
      send: async () => {},
    });
    // Its start ends only when it is stopped (discord.js's login ends when the client is destroyed).
    let endStart = () => {};
    const slow = adapter(
      'slack',
      () =>
        new Promise<void>((resolve) => {
          endStart = resolve;
          connecting();
        }),
      () => endStart(),
    );
    const db = openDatabase(join(tempDir('cairn-start-'), 'cairn.db'));
    const config = testConfig(model.url, { CAIRN_HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: '1:x', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    const stopAsked = new AbortController();
    const starting = startCairn(config, { logger: silentLogger, host: '127.0.0.1', db, stopAsked: stopAsked.signal, factories: { telegram: () => adapter('telegram', async () => {}), slack: () => slow } });
    try {
      await isConnecting;
      const reason = new Error('stop asked');
      stopAsked.abort(reason);
      await expect(starting).rejects.toBe(reason);
      expect(stopped.sort()).toEqual(['slack', 'telegram']);
      expect(db.open).toBe(false);
    } finally {
      endStart();
      await starting.then((running) => running.stop()).catch(() => undefined);
      await model.close();
    }
  });
});

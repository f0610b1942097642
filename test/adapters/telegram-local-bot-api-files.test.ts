/**
 * A self-hosted Bot API server run with --local (TELEGRAM_API_ROOT) hands out a file's absolute path on its own
 * disk rather than a download path: Cairn reads it there, and says what to do where that disk is not at hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { startProxy, type Proxy } from '../helpers/platform-proxy.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
let model: FakeModelServer | undefined;
let fake: FakeTelegram | undefined;
let proxy: Proxy | undefined;
let cairn: TestCairn | undefined;
let adapter: TelegramAdapter | undefined;

afterEach(async () => {
  await adapter?.stop();
  await proxy?.close();
  await fake?.close();
  await cairn?.close();
  await model?.close();
});

/** A Bot API server run with --local: getFile gives the file's absolute path on its disk, and the /file/ route serves no such path. */
async function setUp(filePath: string): Promise<void> {
  model = await startFakeModelServer();
  fake = await startFakeTelegram();
  proxy = await startProxy(fake.apiRoot, (_method, path, body) => {
    if (path.endsWith('/getFile')) {
      const { file_id } = JSON.parse(body) as { file_id: string };
      return { status: 200, body: { ok: true, result: { file_id, file_unique_id: `u-${file_id}`, file_size: 48, file_path: filePath } } };
    }
    if (path.startsWith('/file/')) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    return undefined;
  });
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_ALLOWED_USERS: String(USER.id) }));
  adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
  cairn.gateway.attach(adapter);
  await adapter.start(cairn.gateway.receive);
}

const document = { message_id: 1, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, caption: 'why?', document: { file_id: 'd1', file_name: 'trace.txt', mime_type: 'text/plain', file_size: 48 } };

describe('telegram: files through a self-hosted Bot API server run with --local', () => {
  it('reads the file from the path the server gives (its own disk)', async () => {
    const path = join(tempDir(), 'documents', 'file_0.txt');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, "KeyError: 'id'\n");
    await setUp(path);
    fake!.pushUpdate({ message: document });
    await fake!.waitForSent(1);
    expect(model!.chatRequests()[0]?.messages.at(-1).content).toBe("why?\n\n[file (trace.txt); attachment #1]\nKeyError: 'id'\n[end of file (trace.txt)]");
  });

  it('says what to do when that path is not on this machine', async () => {
    await setUp('/var/lib/telegram-bot-api/123456:TEST-token/documents/file_0.txt');
    model!.enqueue({ text: 'ok' });
    fake!.pushUpdate({ message: document });
    const [reply] = await fake!.waitForSent(1);
    expect(String(reply!.text)).toMatch(/--local/);
    expect(String(reply!.text)).not.toMatch(/HTTP 404/);
    // The server keeps each bot's files in a folder named by its token: the path is never shown.
    expect(String(reply!.text)).not.toContain(fake!.token);
  });
});

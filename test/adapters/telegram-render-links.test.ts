/** Telegram: links whose label is inline code, as models write them for API names. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { markdownToHtml, renderParts } from '../../adapters/telegram/render.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

/** The characters the renderer parks finished HTML behind: none may reach the user. */
const PRIVATE_USE = /[\uE000-\uF8FF]/;

describe('telegram rendering of a code-labelled link', () => {
  it('puts the code inside the link', () => {
    expect(markdownToHtml('See [`fetch`](https://developer.mozilla.org/docs/Web/API/fetch) for details.')).toBe(
      'See <a href="https://developer.mozilla.org/docs/Web/API/fetch"><code>fetch</code></a> for details.',
    );
  });

  it('keeps code, emphasis and a second code span in one label, and code beside the link, each where it was', () => {
    expect(markdownToHtml('Call [**`zod.object()`** then `parse`](https://zod.dev/api#objects) or `z.string()`.')).toBe(
      'Call <a href="https://zod.dev/api#objects"><b><code>zod.object()</code></b> then <code>parse</code></a> or <code>z.string()</code>.',
    );
  });

  it('leaves no placeholder in the parts a reply is sent as', () => {
    const [part] = renderParts('Docs: [`zod.object()`](https://zod.dev/api#objects)');
    expect(part?.html).not.toMatch(PRIVATE_USE);
    expect(part?.html).toContain('<code>zod.object()</code>');
  });
});

describe('telegram: a reply linking a code name', () => {
  let model: FakeModelServer;
  let fake: FakeTelegram;
  let cairn: TestCairn;
  let adapter: TelegramAdapter;

  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await cairn.close();
    await model.close();
  });

  it('reaches the user with the code as the link text', async () => {
    const user = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(user.id) }));
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer, now: () => 1_700_000_000_000 });
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);

    model.enqueue({ text: 'Use [`fetch`](https://developer.mozilla.org/docs/Web/API/fetch) for that.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: user.id, type: 'private' }, from: user, text: 'how do I call an API?' } });
    const [reply] = await fake.waitForSent(1);
    expect(reply).toMatchObject({ parse_mode: 'HTML', text: 'Use <a href="https://developer.mozilla.org/docs/Web/API/fetch"><code>fetch</code></a> for that.' });
  });
});

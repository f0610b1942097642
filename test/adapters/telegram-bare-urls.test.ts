/**
 * A bare URL in an answer (Telegram links it by itself) was read as Markdown emphasis where it
 * holds underscores: `…/requests/__init__.py` went out as `…/requests/<b>init</b>.py`, so the user
 * saw, and Telegram linked, `…/requests/init.py`, a page that is not there. A bare URL is now
 * text as written; emphasis around it still works.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { TelegramAdapter } from '../../adapters/telegram/index.js';
import { markdownToHtml } from '../../adapters/telegram/render.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

describe('telegram rendering of a bare URL', () => {
  it('keeps the underscores of the URL', () => {
    expect(markdownToHtml('See https://github.com/psf/requests/blob/main/src/requests/__init__.py for it.')).toBe('See https://github.com/psf/requests/blob/main/src/requests/__init__.py for it.');
    expect(markdownToHtml('Docs: https://docs.python.org/3/reference/datamodel.html#object.__init__ and **main**')).toBe('Docs: https://docs.python.org/3/reference/datamodel.html#object.__init__ and <b>main</b>');
    expect(markdownToHtml('Read www.example.com/_drafts_/post')).toBe('Read www.example.com/_drafts_/post');
  });

  it('leaves the emphasis and punctuation around it to the sentence', () => {
    expect(markdownToHtml('**Read https://example.com/_drafts_/post**')).toBe('<b>Read https://example.com/_drafts_/post</b>');
    expect(markdownToHtml('**https://example.com/a_b_c**, (see https://x.io/_y_).')).toBe('<b>https://example.com/a_b_c</b>, (see https://x.io/_y_).');
    expect(markdownToHtml('*https://x.io/a_b* and ~~https://x.io/_old_~~')).toBe('<i>https://x.io/a_b</i> and <s>https://x.io/_old_</s>');
  });

  it('keeps a URL written as a link label, and leaves no placeholder beside code', () => {
    expect(markdownToHtml('[https://x.io/__init__.py](https://x.io/__init__.py) and https://x.io/`code`')).toBe('<a href="https://x.io/__init__.py">https://x.io/__init__.py</a> and https://x.io/<code>code</code>');
  });
});

describe('telegram: an answer with a bare URL', () => {
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

  it('reaches the user with the URL as the model wrote it', async () => {
    const user = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
    model = await startFakeModelServer();
    fake = await startFakeTelegram();
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_ALLOWED_USERS: String(user.id), CAIRN_STREAM_REPLIES: 'false' }));
    adapter = new TelegramAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
    cairn.gateway.attach(adapter);
    await adapter.start(cairn.gateway.receive);

    model.enqueue({ text: 'It is set up in https://github.com/psf/requests/blob/main/src/requests/__init__.py, **line 12**.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: user.id, type: 'private' }, from: user, text: 'where is the version set?' } });
    const [reply] = await fake.waitForSent(1);
    expect(reply).toMatchObject({ parse_mode: 'HTML', text: 'It is set up in https://github.com/psf/requests/blob/main/src/requests/__init__.py, <b>line 12</b>.' });
  });
});

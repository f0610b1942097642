/**
 * A bare URL in an answer (Telegram links it by itself) was read as Markdown emphasis where it
 * holds underscores: `…/requests/__init__.py` went out as `…/requests/<b>init</b>.py`, so the user
 * saw, and Telegram linked, `…/requests/init.py`, a page that is not there. A bare URL is now
 * text as written; emphasis around it still works.
 */
import { describe, expect, it } from 'vitest';
import { ADA, useTelegramRig } from '../helpers/telegram-rig.js';
import { markdownToHtml } from '../../adapters/telegram/render.js';

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
  const telegram = useTelegramRig();

  it('reaches the user with the URL as the model wrote it', async () => {
    const { model, fake } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });

    model.enqueue({ text: 'It is set up in https://github.com/psf/requests/blob/main/src/requests/__init__.py, **line 12**.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: ADA.id, type: 'private' }, from: ADA, text: 'where is the version set?' } });
    const [reply] = await fake.waitForSent(1);
    expect(reply).toMatchObject({ parse_mode: 'HTML', text: 'It is set up in https://github.com/psf/requests/blob/main/src/requests/__init__.py, <b>line 12</b>.' });
  });
});

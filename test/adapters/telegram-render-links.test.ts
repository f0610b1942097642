/** Telegram: links whose label is inline code, as models write them for API names. */
import { describe, expect, it } from 'vitest';
import { ADA, useTelegramRig } from '../helpers/telegram-rig.js';
import { markdownToHtml, renderParts } from '../../adapters/telegram/render.js';

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
  const telegram = useTelegramRig();

  it('reaches the user with the code as the link text', async () => {
    const { model, fake } = await telegram.start({ adapter: { now: () => 1_700_000_000_000 } });

    model.enqueue({ text: 'Use [`fetch`](https://developer.mozilla.org/docs/Web/API/fetch) for that.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: ADA.id, type: 'private' }, from: ADA, text: 'how do I call an API?' } });
    const [reply] = await fake.waitForSent(1);
    expect(reply).toMatchObject({ parse_mode: 'HTML', text: 'Use <a href="https://developer.mozilla.org/docs/Web/API/fetch"><code>fetch</code></a> for that.' });
  });
});

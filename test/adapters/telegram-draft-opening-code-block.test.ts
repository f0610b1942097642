/**
 * An answer that opens with a code block ("```bash" first) can show only that fence at the first
 * draft update: an empty code block, a text Telegram refuses (400 "message text is empty"). The
 * draft surface took any 400 from sendMessageDraft for the chat refusing Telegram's own drafts, and
 * streamed every later answer in that private chat into an edited message until Cairn restarted.
 * Such an update is now skipped; the next one, with words, is a draft as usual.
 *
 * The real Telegram adapter against the fake Bot API, behind a proxy that refuses a text showing
 * nothing, as Telegram does.
 */
import { describe, expect, it } from 'vitest';
import { useTelegramRig, until } from '../helpers/telegram-rig.js';
import { showsText } from '../../adapters/telegram/render.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

const telegram = useTelegramRig();

/** As Telegram: a text that shows nothing once its HTML is parsed is refused. */
function showsNothing(body: string): boolean {
  const text = String((JSON.parse(body || '{}') as { text?: unknown }).text ?? '');
  return text.replace(/<[^>]*>/g, '').trim() === '';
}

describe('telegram: a streamed answer that opens with a code block', () => {
  it("keeps Telegram's own drafts in the chat after a first update with nothing to show yet", async () => {
    const { model, fake, proxy, timers } = await telegram.start({
      intercept: (method, path, body) =>
        method === 'POST' && /\/(sendMessageDraft|sendMessage)$/.test(path) && showsNothing(body) ? { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } } : undefined,
      adapter: { now: () => 1_700_000_000_000 },
    });
    const message = (id: number, text: string) => ({ message_id: id, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text });

    let rest!: () => void;
    model.enqueue({ stream: ['```bash\n', new Promise<void>((resolve) => (rest = resolve)), 'ls -la\n```'] });
    fake.pushUpdate({ message: message(1, 'how do I list files?') });
    // The first update has only the opening fence: an empty code block. It is skipped (the next comes later, as after a failed one).
    (await timers.next(1_500)).fire();
    await until(() => timers.active().includes(3_000) || proxy!.seen.some((request) => /\/send(MessageDraft|Message)$/.test(request.path)));
    rest();
    const [answer] = await fake.waitForSent(1);
    expect(answer).toMatchObject({ text: '<pre><code class="language-bash">ls -la</code></pre>' });

    // The next turn streams into Telegram's own draft again, not into an edited message.
    let end!: () => void;
    model.enqueue({ stream: ['Sure, here it is', new Promise<void>((resolve) => (end = resolve)), '.'] });
    fake.pushUpdate({ message: message(2, 'and hidden ones?') });
    (await timers.next(1_500)).fire();
    await until(() => fake.drafts.length + fake.sent.length >= 2);
    expect(fake.drafts.map((draft) => draft.text)).toEqual(['Sure, here it is']);
    end();
    await fake.waitForSent(2);
  });

  it('knows a part that shows nothing', () => {
    expect(showsText({ html: '<pre><code class="language-bash"></code></pre>', plain: '```bash\n```' })).toBe(false);
    expect(showsText({ html: '<pre><code>&lt;</code></pre>', plain: '```\n<\n```' })).toBe(true);
  });
});

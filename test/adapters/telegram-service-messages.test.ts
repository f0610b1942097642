/**
 * Service messages in a private chat (a pin, the auto-delete timer changed) are no messages to
 * answer, and a rolled die is no empty one: none gets "Your message was empty".
 */
import { describe, expect, it } from 'vitest';
import { useTelegramRig } from '../helpers/telegram-rig.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const CHAT = { id: 42, type: 'private', first_name: 'Ada', username: 'ada' };

describe('telegram service messages in a private chat', () => {
  const telegram = useTelegramRig();
  const setUp = () => telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });

  const visible = (body: Record<string, unknown> | undefined) => String(body?.text ?? '').replace(/<[^>]+>/g, '');

  it('says nothing when the user pins one of its answers (pinned_message service message)', async () => {
    const { fake } = await setUp();
    // Telegram tells the bot with a service message, from the user, without text.
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, pinned_message: { message_id: 1000, date: 1_699_999_000, chat: CHAT, from: { id: 999, is_bot: true, first_name: 'Cairn', username: 'cairn_bot' }, text: 'Here is the plan.' } } });
    fake.pushUpdate({ message: { message_id: 8, date: 1_700_000_001, chat: CHAT, from: USER, text: 'thanks' } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).toBe('echo: thanks');
  });

  it('says nothing when the user changes the auto-delete timer (message_auto_delete_timer_changed)', async () => {
    const { fake } = await setUp();
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, message_auto_delete_timer_changed: { message_auto_delete_time: 86_400 } } });
    fake.pushUpdate({ message: { message_id: 8, date: 1_700_000_001, chat: CHAT, from: USER, text: 'thanks' } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).toBe('echo: thanks');
  });

  it('does not call a rolled die (🎲) an empty message', async () => {
    const { fake } = await setUp();
    fake.pushUpdate({ message: { message_id: 7, date: 1_700_000_000, chat: CHAT, from: USER, dice: { emoji: '🎲', value: 4 } } });
    const [first] = await fake.waitForSent(1);
    expect(visible(first)).not.toMatch(/Your message was empty/);
  });
});

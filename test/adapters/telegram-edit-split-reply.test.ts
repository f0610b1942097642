/**
 * An approval request or a skill proposal with buttons that went out in several messages
 * (Telegram's 4,096-character limit; a proposal's find and replace blocks reach it) is edited
 * once settled. send() gave the last message's id, and edit() wrote the new text's first
 * part into it: the first message kept the old text, the last showed the start again, and
 * the outcome line was lost. Now each part goes into its own message, a shorter text deletes
 * the messages left over (or, past Telegram's 48 hours, takes their buttons away), and a longer
 * one sends the rest. The real grammY against the fake Bot API.
 */
import { describe, expect, it } from 'vitest';
import { useTelegramRig } from '../helpers/telegram-rig.js';

const telegram = useTelegramRig();

const ALPHA = 'alpha '.repeat(500).trim();
const BETA = 'beta '.repeat(600).trim();
const GAMMA = 'gamma '.repeat(500).trim();
const buttons = [{ label: 'Deny', command: '/deny k3m9pq' }];

describe('Telegram edit of a message sent in parts', () => {
  it('edits each part in place', async () => {
    const { fake, adapter } = await telegram.start();
    const ref = await adapter.send('telegram:42', { text: `${ALPHA}\n\n${BETA}`, buttons });
    expect(ref).toBeDefined();
    const ids = fake.sent.map((_, i) => 1000 + i);
    expect(ids).toHaveLength(2);
    await adapter.edit('telegram:42', ref ?? '', `${ALPHA}\n\n${BETA}\n🚫 Denied by @ada.`);
    expect(fake.textOf(ids[0]!)).toBe(ALPHA);
    expect(fake.textOf(ids[1]!)).toBe(`${BETA}\n🚫 Denied by @ada.`);
    expect(fake.keyboardOf(ids[1]!)).toBeUndefined();
    expect(fake.sent).toHaveLength(2);
  });

  it('takes the buttons away from a part it may no longer delete (sent over 48 hours ago)', async () => {
    const { fake, adapter } = await telegram.start();
    const ref = await adapter.send('telegram:42', { text: `${ALPHA}\n\n${BETA}`, buttons });
    expect(fake.keyboardOf(1001)).toBeDefined();
    fake.sentLongAgo(1001);
    await adapter.edit('telegram:42', ref ?? '', 'Denied.');
    expect(fake.textOf(1000)).toBe('Denied.');
    expect(fake.textOf(1001)).toBe(BETA);
    expect(fake.keyboardOf(1001)).toBeUndefined();
  });

  it('deletes parts the new text no longer needs, and sends the ones it needs more', async () => {
    const { fake, adapter } = await telegram.start();
    const ref = await adapter.send('telegram:42', { text: `${ALPHA}\n\n${BETA}`, buttons });
    await adapter.edit('telegram:42', ref ?? '', 'Denied.');
    expect(fake.textOf(1000)).toBe('Denied.');
    expect(fake.deleted).toEqual([1001]);

    const again = await adapter.send('telegram:42', { text: ALPHA, buttons });
    await adapter.edit('telegram:42', again ?? '', `${ALPHA}\n\n${BETA}\n\n${GAMMA}`);
    expect(fake.textOf(1002)).toBe(ALPHA);
    expect(fake.sent.slice(3).map((body) => body.text)).toEqual([BETA, GAMMA]);
  });
});

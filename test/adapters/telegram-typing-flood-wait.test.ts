/**
 * "typing…" is sent again every 4 s while a turn runs, one attempt each, its failures swallowed.
 * When Telegram's flood control answered a call to the chat with 429 and retry_after (the answer,
 * a draft's edit, the "still working" note, the chat action itself), "typing…" went on every 4 s
 * through the wait, each call one Telegram had asked not to get; it now waits as long. And in a
 * chat that refuses the bot for good (the user blocked it, 403), "typing…" and the note stop for
 * the turn instead of failing every 4 s until it ends.
 *
 * The real Telegram adapter against the fake Bot API, behind a proxy answering as Telegram does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeTelegram } from '../fakes/telegram-api.js';
import type { ManualTimers } from '../helpers/manual-timers.js';
import type { Intercept, Proxy } from '../helpers/platform-proxy.js';
import { useTelegramRig, until } from '../helpers/telegram-rig.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };

const telegram = useTelegramRig();
/** Retry waits are held until the test lets them go, while `holding`. */
let holding = true;
let wake: (() => void)[] = [];
const sleeps: number[] = [];

afterEach(async () => {
  holding = false;
  for (const resolve of wake.splice(0)) resolve();
});

/** Cairn on Telegram, its clock at `clock.now`; a turn that never ends is asked in the private chat. */
async function askSlowQuestion(intercept: Intercept, clock: { now: number }): Promise<{ fake: FakeTelegram; proxy: Proxy; timers: ManualTimers }> {
  holding = true;
  wake = [];
  sleeps.length = 0;
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    if (holding) await new Promise<void>((resolve) => wake.push(resolve));
  };
  const { model, fake, proxy, timers } = await telegram.start({ env: { CAIRN_SHUTDOWN_GRACE_MS: '10' }, intercept, sleep, adapter: { now: () => clock.now } });
  model.enqueue({ hang: true });
  fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: USER.id, type: 'private' }, from: USER, text: 'slow question' } });
  return { fake, proxy: proxy!, timers };
}

describe('telegram "typing…" and flood control', () => {
  it('sends no chat action to a chat Telegram asked to wait, until the wait is over', async () => {
    let limited = false;
    const clock = { now: 1_700_000_000_000 };
    const { fake, timers } = await askSlowQuestion((method, path) => {
      if (method !== 'POST' || !path.endsWith('/sendMessage') || limited) return undefined;
      limited = true;
      return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 30', parameters: { retry_after: 30 } } };
    }, clock);
    await fake.waitFor('sendChatAction', 1);
    // The long turn's note meets Telegram's flood control: it waits 30 s, and goes out then.
    (await timers.next(20_000)).fire();
    await until(() => sleeps.includes(30_000));
    // "typing…" comes due during the wait: nothing goes to the chat.
    (await timers.next(4_000)).fire();
    for (const resolve of wake.splice(0)) resolve();
    await fake.waitForSent(1);
    expect(fake.callsTo('sendChatAction')).toHaveLength(1);
    // Once the wait is over, "typing…" shows again.
    clock.now += 30_000;
    (await timers.next(4_000)).fire();
    await fake.waitFor('sendChatAction', 2);
  });

  it('stops "typing…" and the "still working" note for the turn in a chat that refuses the bot (blocked: 403)', async () => {
    const { proxy, timers } = await askSlowQuestion(
      (method, path) => (method === 'POST' && path.endsWith('/sendChatAction') ? { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } } : undefined),
      { now: 1_700_000_000_000 },
    );
    await until(() => timers.scheduled.some((timer) => timer.ms === 20_000) && timers.active().filter((ms) => ms === 4_000 || ms === 20_000).length === 0);
    expect(proxy.seen.filter((request) => request.path.endsWith('/sendChatAction'))).toHaveLength(1);
  });
});

/**
 * A team spread over three cities, one Cairn. The operator runs it in San Francisco (CAIRN_TZ=
 * America/Los_Angeles). Ada works from Berlin on Slack (her Slack profile says Europe/Berlin), Kenji from
 * Tokyo on Telegram (Telegram says nothing of zones), Bo shares the team's Slack channel (his profile gives
 * no zone). It is Tuesday 24 November 2026, 09:00 UTC: 01:00 in San Francisco, 10:00 in Berlin, 18:00 in
 * Tokyo. They say what people say: "what time is it?", "remind me tomorrow at 9", "what did I note
 * yesterday?", "every weekday at 8:30 post the standup list".
 *
 * What they expect: each is answered on their own clock, without being asked for their zone in every
 * conversation. Ada's comes from Slack; Kenji says his once (or sends /timezone Asia/Tokyo) and it is kept,
 * across conversations, platforms he links and restarts; a name like JST or EST is refused with the name to
 * use; in the team channel each request is read in the zone of whoever makes it; tasks already scheduled
 * keep the zone they were set in when someone moves; /timezone and /status say what is used.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import { postEvent, setup, type Setup } from '../adapters/slack-lifecycle-harness.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { startTestCairn, testConfig } from '../helpers/cairn.js';
import { cmd, dm } from '../helpers/linking-world.js';

const ENV = { CAIRN_TZ: 'America/Los_Angeles', SLACK_ALLOWED_USERS: 'U1,U2', TELEGRAM_ALLOWED_USERS: '100', DISCORD_ALLOWED_USERS: '801', SLACK_ADMIN_USERS: 'U1', CAIRN_REFLECTION: 'off' };
const KENJI = 'telegram:100';

let world: (Setup & { telegram: RecordingAdapter; discord: RecordingAdapter }) | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Cairn with the real Slack adapter (Ada U1 in Berlin by her profile, Bo U2 with none), and Telegram and Discord. */
async function team() {
  const w = await setup({ env: ENV, beforeStart: (slack) => slack.timeZones.set('U1', 'Europe/Berlin') });
  const telegram = new RecordingAdapter('telegram');
  const discord = new RecordingAdapter('discord');
  w.cairn.gateway.attach(telegram);
  w.cairn.gateway.attach(discord);
  world = { ...w, telegram, discord };
  return world;
}

type Call = { name: string; arguments: Record<string, unknown> };

/**
 * The model makes these tool calls, one a step, then answers "ok"; what it was sent is kept: the system
 * prompt of the last request and every tool result. Condensing a conversation into notes gets no notes.
 */
function script(model: FakeModelServer, ...calls: Call[]) {
  const seen = { system: '', results: [] as string[] };
  const steps = [...calls];
  model.setDefault((request) => {
    const body = request.body as ChatBody;
    const messages = (body.messages ?? []) as { role: string; content: string }[];
    if (String(messages[0]?.content ?? '').startsWith('You maintain long-term memory')) return { text: '{"notes": []}' };
    seen.system = messages[0]?.content ?? '';
    if (messages.at(-1)?.role === 'tool') seen.results.push(String(messages.at(-1)?.content));
    const call = steps.shift();
    return call ? { toolCalls: [call] } : { text: 'ok' };
  });
  return seen;
}

let ts = 1_700_000_000;
/** Ada (or Bo) writes to Cairn in Slack: in her DM (D1), or with a mention in the team channel (C1). Resolves once Cairn answered. */
async function slackSays(w: Setup, user: 'U1' | 'U2', text: string, where: 'dm' | 'channel' = 'dm') {
  const before = w.slack.posts.length;
  const event = where === 'dm' ? { type: 'message', channel: 'D1', channel_type: 'im', user, text, ts: `${++ts}.000100` } : { type: 'app_mention', channel: 'C1', user, text: `<@UBOT> ${text}`, ts: `${++ts}.000100` };
  await postEvent(w, event, `Ev${ts}`);
  await w.slack.waitForMessages(before + 1);
  await Promise.all(w.outcomes);
}

/** Ada's `/cairn <text>` in Slack (the answer comes through the response_url). */
async function slashCommand(w: Setup, text: string, channel: string) {
  expect(await w.events.slash({ text, channel })).toBe(200);
  await Promise.all(w.outcomes);
}

/** What the requests that condense a conversation into notes gave the model: its transcript with the dates. */
const extractionPrompts = (model: FakeModelServer) =>
  model
    .chatRequests()
    .map((body) => body.messages as { role: string; content: string }[])
    .filter((messages) => String(messages[0]?.content ?? '').startsWith('You maintain long-term memory'))
    .map((messages) => String(messages[1]?.content ?? ''));

/** current_time's result names this zone. */
const zoneIs = (zone: string) => new RegExp(`"timeZone": "${zone}"`);

const schedule = (args: Record<string, unknown>): Call => ({ name: 'schedule_task', arguments: args });
const now = (args: Record<string, unknown> = {}): Call => ({ name: 'current_time', arguments: args });

describe('Ada in Berlin, on Slack', () => {
  it('asks what time it is: Berlin\'s time from her Slack profile, not San Francisco\'s', async () => {
    const w = await team();
    const seen = script(w.model, now());
    await slackSays(w, 'U1', 'what time is it?');
    expect(seen.results[0]).toMatch(zoneIs('Europe/Berlin'));
    expect(seen.results[0]).toContain('10:00:00');
    expect(seen.results[0]).toContain('Slack profile');
    expect(seen.system).toContain('Ada is in Europe/Berlin (their Slack profile says so)');
    // /cairn timezone says where it comes from.
    const before = w.slack.posts.length;
    await slashCommand(w, 'timezone', 'D1');
    expect((await w.slack.waitForMessages(before + 1)).at(-1)?.text).toContain('Your time zone is Europe/Berlin, from your Slack profile (it is Tue 24 Nov, 10:00 there).');
  });

  it('"remind me tomorrow at 9" runs at 9:00 in Berlin', async () => {
    const w = await team();
    const seen = script(w.model, schedule({ prompt: 'Remind Ada to call the bank.', at: '2026-11-25T09:00' }));
    await slackSays(w, 'U1', 'remind me tomorrow at 9 to call the bank');
    expect(seen.results[0]).toContain('Wed 25 Nov 2026, 09:00 (Europe/Berlin)');
    const [task] = w.cairn.schedules.store.activeOf('slack:T1:U1');
    expect(task?.nextRunAt).toBe(Date.UTC(2026, 10, 25, 8));
  });
});

describe('Kenji in Tokyo, on Telegram', () => {
  it('is not known at first; says where he is once, and it is kept for the next conversation', async () => {
    const w = await team();
    const first = script(w.model, now(), { name: 'set_time_zone', arguments: { timeZone: 'Asia/Tokyo' } }, now());
    await w.cairn.gateway.receive(dm(w.telegram, '100', "what time is it? I'm in Tokyo", { userName: 'Kenji' }));
    // Telegram gives no zone: the model is told the team's stands in and how to keep his, rather than to ask every time.
    expect(first.system).toContain("Kenji has not said their time zone: the team's, America/Los_Angeles, stands in");
    expect(first.results[0]).toContain("the team's default: this person has not said theirs");
    expect(first.results[1]).toContain('Saved: the time zone of Kenji is Asia/Tokyo');
    // Saved mid-turn: the same turn's clock is his.
    expect(first.results[2]).toMatch(zoneIs('Asia/Tokyo'));
    expect(first.results[2]).toContain('18:00:00');

    // A new conversation: nothing to ask. The one that ended is condensed into notes on his clock ("tomorrow" is Tokyo's).
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'new'));
    await vi.waitFor(() => expect(extractionPrompts(w.model).at(-1)).toContain('Conversation of 2026-11-24, 18:00 to 18:00 (Asia/Tokyo)'), { timeout: 20_000 });
    const next = script(w.model, now());
    await w.cairn.gateway.receive(dm(w.telegram, '100', 'and now?', { userName: 'Kenji' }));
    expect(next.system).toContain('Kenji is in Asia/Tokyo (they set it)');
    expect(next.system).toContain('This session started on 2026-11-24 (Asia/Tokyo).');
    expect(next.results[0]).toContain('the person speaking: the zone they set');
  });

  it('/timezone shows and sets it; abbreviations, offsets and a city alone are refused with the name to use', async () => {
    const w = await team();
    const say = async (args: string) => {
      await w.cairn.gateway.receive(cmd(w.telegram, '100', 'timezone', args));
      return w.telegram.texts().at(-1) ?? '';
    };
    expect(await say('')).toBe("I don't know your time zone, so I use the team's, America/Los_Angeles (it is Tue 24 Nov, 01:00 there). Set yours with /timezone <Region/City>, e.g. /timezone Europe/Berlin, or just tell me where you are.");
    expect(await say('JST')).toContain('"JST" is no Region/City name');
    expect(await say('EST')).toContain('America/New_York');
    expect(await say('UTC+9')).toContain('is an offset');
    expect(await say('Etc/GMT-9')).toContain('is an offset');
    expect(await say('Tokyo')).toContain('Did you mean Asia/Tokyo?');
    expect(await say('Mars/Olympus')).toContain('"Mars/Olympus" is no time zone I know');
    // Nothing refused was kept.
    expect(await say('')).toContain("I don't know your time zone");
    expect(await say('asia/tokyo')).toMatch(/^Your time zone is now Asia\/Tokyo: it is Tue 24 Nov, 18:00 there\. I use it for/);
    expect(await say('')).toBe('Your time zone is Asia/Tokyo, as you set it (it is Tue 24 Nov, 18:00 there). Change it with /timezone <Region/City>, or /timezone auto to stop using it.');
    expect(await say('auto')).toContain('Done: I no longer use a time zone you set. I don\'t know your time zone, so I use the team\'s, America/Los_Angeles');
  });

  it('"what did I note yesterday?" is Tokyo\'s yesterday, and /memory dates his notes on his clock', async () => {
    const w = await team();
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'timezone', 'Asia/Tokyo'));
    // 08:00 on Monday the 23rd in Tokyo (still Sunday afternoon in San Francisco), and 10:00 on the 24th in Tokyo (Monday evening there).
    w.cairn.notes.store.add(KENJI, { text: 'Booked the Osaka train for Friday.', kind: 'fact', origin: 'user', createdAt: Date.UTC(2026, 10, 22, 23) });
    w.cairn.notes.store.add(KENJI, { text: 'The hotel wants a deposit.', kind: 'fact', origin: 'user', createdAt: Date.UTC(2026, 10, 24, 1) });
    const seen = script(w.model, now(), { name: 'memory_search', arguments: { since: '2026-11-23', until: '2026-11-23' } });
    await w.cairn.gateway.receive(dm(w.telegram, '100', 'what did I note yesterday?', { userName: 'Kenji' }));
    expect(seen.results[1]).toContain('Booked the Osaka train');
    expect(seen.results[1]).not.toContain('deposit');
    expect(seen.results[1]).toContain('2026-11-23T08:00:00.000+09:00');
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'memory'));
    expect(w.telegram.texts().at(-1)).toContain('2026-11-23');
    expect(w.telegram.texts().at(-1)).not.toContain('2026-11-22');
  });
});

describe('The team channel on Slack', () => {
  it("each request is read in the asker's zone: Ada's stand-up is Berlin's 8:30, and Bo, whose zone is unknown, is told it is the team's", async () => {
    const w = await team();
    const ada = script(w.model, schedule({ prompt: 'Post the standup list.', cron: '30 8 * * 1-5' }));
    await slackSays(w, 'U1', 'every weekday at 8:30 post the standup list', 'channel');
    expect(ada.system).toContain('People here may be in different time zones');
    expect(ada.results[0]).toContain('cron "30 8 * * 1-5" (Europe/Berlin), first run Wed 25 Nov 2026, 08:30 (Europe/Berlin)');

    const bo = script(w.model, now(), schedule({ prompt: 'Remind the channel to deploy.', at: '2026-11-24T17:00' }));
    await slackSays(w, 'U2', 'what time is it? and remind us at 17:00 to deploy', 'channel');
    expect(bo.results[0]).toMatch(zoneIs('America/Los_Angeles'));
    expect(bo.results[0]).toContain("the team's default: this person has not said theirs");
    expect(bo.results[1]).toContain('(America/Los_Angeles)');
    const zones = w.cairn.schedules.store.active().map((task) => task.timeZone);
    expect(zones.sort()).toEqual(['America/Los_Angeles', 'Europe/Berlin']);
  });
});

describe('Across platforms, moves and restarts', () => {
  it('Ada links her Discord account: there too she is on Berlin time', async () => {
    const w = await team();
    script(w.model);
    await slackSays(w, 'U1', 'hello');
    // /link on Discord, the code redeemed with /cairn link in her Slack DM: the Discord account's key is the person's.
    await w.cairn.gateway.receive(cmd(w.discord, '801', 'link'));
    const code = /link code is ([A-Z0-9]{8})/.exec(w.discord.texts().at(-1) ?? '')?.[1] ?? '';
    const before = w.slack.posts.length;
    await slashCommand(w, `link ${code}`, 'D1');
    expect((await w.slack.waitForMessages(before + 1)).at(-1)?.text).toContain('Linked');
    const seen = script(w.model, now());
    await w.cairn.gateway.receive(dm(w.discord, '801', 'what time is it?', { userName: 'ada' }));
    expect(seen.results[0]).toMatch(zoneIs('Europe/Berlin'));
  });

  it('Kenji moves to London: his reminder set in Tokyo keeps Tokyo time (he is told), and his zone outlives a restart', async () => {
    const w = await team();
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'timezone', 'Asia/Tokyo'));
    script(w.model, schedule({ prompt: 'Remind Kenji to water the plants.', cron: '0 9 * * *' }));
    await w.cairn.gateway.receive(dm(w.telegram, '100', 'every day at 9 remind me to water the plants', { userName: 'Kenji' }));
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'timezone', 'Europe/London'));
    expect(w.telegram.texts().at(-1)).toContain('Your scheduled task already set keeps its time zone (Asia/Tokyo)');
    expect(w.cairn.schedules.store.activeOf(KENJI)[0]?.timeZone).toBe('Asia/Tokyo');

    await w.cairn.close();
    const again = startTestCairn(testConfig(w.model.url, ENV, w.cairn.config.dataDir));
    const telegram = new RecordingAdapter('telegram');
    again.gateway.attach(telegram);
    try {
      // A message id of its own: the ids seen before the restart are remembered.
      await again.gateway.receive(dm(telegram, '100', '/timezone', { command: { name: 'timezone', args: '' }, messageId: 'after-restart' }));
      expect(telegram.texts().at(-1)).toContain('Your time zone is Europe/London, as you set it');
    } finally {
      await again.close();
    }
  });

  it('/status tells the admin which zone stands in and how many set their own', async () => {
    const w = await team();
    await w.cairn.gateway.receive(cmd(w.telegram, '100', 'timezone', 'Asia/Tokyo'));
    const before = w.slack.posts.length;
    await slashCommand(w, 'status', 'C1');
    expect((await w.slack.waitForMessages(before + 1)).at(-1)?.text).toContain('Time zone: America/Los_Angeles (CAIRN_TZ) for anyone whose own is unknown; 1 person has set theirs (/timezone).');
  });
});

/**
 * A team across time zones and a year of their scheduled tasks, on a fake clock whose timers
 * run as Node's do, on the machine's monotonic time: members in London, New York, Kolkata,
 * Lord Howe (a 30-minute daylight saving change) and Apia set daily, weekday, monthly, yearly
 * and one-off tasks through the model's schedule_task; each clock change runs a task once (a time
 * in the spring-forward gap just after it, a time the fall-back repeats at its first); Cairn down
 * three days runs each missed task once, marked late; a changed CAIRN_TZ leaves the tasks in
 * their own zones, and `cairn schedules list` shows what /schedules shows; a wall clock set
 * forward (NTP) runs a task it passed soon, not hours later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { Timers, TimerHandle } from '../../src/backends/timers.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Timers on the machine's monotonic time: `pass` lets real time go by (wall clock and timers together); the wall clock alone can jump. */
class MonotonicTimers implements Timers {
  private elapsed = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  /** The wall clock, Cairn's (set once Cairn is made with these timers). */
  clock: ManualClock | undefined;
  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.elapsed + ms, callback });
    return id;
  };
  clearTimeout = (handle: TimerHandle): void => void this.pending.delete(handle as number);
  /** `ms` of real time go by; `settle` is awaited after each timer that fires (the runs it handed on). */
  async pass(ms: number, settle: () => Promise<unknown>): Promise<void> {
    const end = this.elapsed + ms;
    await settle();
    for (;;) {
      const [id, timer] = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (id === undefined || !timer) break;
      this.pending.delete(id);
      this.clock?.advance(timer.at - this.elapsed);
      this.elapsed = timer.at;
      timer.callback();
      await settle();
    }
    this.clock?.advance(end - this.elapsed);
    this.elapsed = end;
  }
}

interface Run {
  id: number;
  dueAt: number;
  at: number;
  text: string;
}

interface World {
  server: FakeModelServer;
  cairn: TestCairn;
  telegram: RecordingAdapter;
  timers: MonotonicTimers;
  runs: Run[];
  /** Real time goes by, each run waited for. */
  pass(ms: number): Promise<void>;
  /** Stops running tasks and starts again (as a restart does, on the same database). */
  restart(): void;
}

const open: World[] = [];
afterEach(async () => {
  for (const world of open.splice(0)) {
    await world.cairn.close();
    await world.server.close();
  }
});

const MEMBERS = '2,3,4,5,6';

async function startWorld(env: Record<string, string>, dataDir = tempDir(), server?: FakeModelServer, startAt?: number): Promise<World> {
  const model = server ?? (await startFakeModelServer());
  model.setDefault(() => ({ text: 'Done.' }));
  const timers = new MonotonicTimers();
  const cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: MEMBERS, TELEGRAM_ADMIN_USERS: '2', CAIRN_REFLECTION: 'off', ...env }, dataDir), { timers });
  timers.clock = cairn.manualClock;
  if (startAt !== undefined) cairn.manualClock.set(startAt);
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  const runs: Run[] = [];
  const handed: Promise<unknown>[] = [];
  const restart = () => {
    cairn.schedules.stop();
    cairn.schedules.start((message: InboundMessage) => {
      const [, id = '0', dueAt = '0'] = message.messageId.split(':');
      runs.push({ id: Number(id), dueAt: Number(dueAt), at: cairn.manualClock.now(), text: message.text });
      const run = cairn.gateway.receive(message);
      handed.push(run);
      return run;
    }, cairn.gateway.platforms());
  };
  restart();
  const world: World = { server: model, cairn, telegram, timers, runs, pass: (ms) => timers.pass(ms, () => Promise.all(handed)), restart };
  open.push(world);
  return world;
}

let messages = 0;
const dm = (world: World, senderId: string, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  // Ids of their own: the chat's after a restart go on, as Telegram's do.
  return world.telegram.message(text, { messageId: `dm-${++messages}`, senderId, userId: `telegram:${senderId}`, userName: `user${senderId}`, conversationId: `telegram:dm:${senderId}`, ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}) });
};

/** Has the model call schedule_task for member `senderId` in their direct chat; returns what the tool answered. */
async function schedule(world: World, senderId: string, args: Record<string, unknown>): Promise<string> {
  world.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: args }] }, { text: 'OK.' });
  const before = world.server.chatRequests().length;
  await world.cairn.gateway.receive(dm(world, senderId, 'schedule something'));
  // The request after the tool call (other model calls, such as a summary of a long chat, may follow it).
  const last = (body: ChatBody) => (body.messages as { role: string; content: string }[]).at(-1);
  return world.server.chatRequests().slice(before).map(last).find((message) => message?.role === 'tool')?.content ?? '';
}

/** `Sun 29 Mar 02:30 +01:00`: a run on its task's wall clock, with the offset that tells a repeated hour's two apart. */
const local = (at: number, zone: string) => DateTime.fromMillis(at, { zone }).toFormat('ccc d LLL HH:mm ZZ');

/** The team's tasks; the ids follow in this order. */
const TEAM_TASKS: [string, Record<string, unknown>][] = [
  ['2', { prompt: 'London: nightly backup check.', cron: '30 1 * * *', timeZone: 'Europe/London' }],
  ['3', { prompt: 'New York: 02:30 report.', cron: '30 2 * * *', timeZone: 'America/New_York' }],
  ['3', { prompt: 'New York: 01:30 report.', cron: '30 1 * * *', timeZone: 'America/New_York' }],
  ['4', { prompt: 'Kolkata: stand-up notes.', cron: '0 9 * * 1-5', timeZone: 'Asia/Kolkata' }],
  ['4', { prompt: 'Kolkata: the 31st.', cron: '0 9 31 * *', timeZone: 'Asia/Kolkata' }],
  ['5', { prompt: 'Lord Howe: 01:45.', cron: '45 1 * * *', timeZone: 'Australia/Lord_Howe' }],
  ['5', { prompt: 'Lord Howe: 02:15.', cron: '15 2 * * *', timeZone: 'Australia/Lord_Howe' }],
  ['6', { prompt: 'Apia: month-end invoices.', cron: '0 9 L * *', timeZone: 'Pacific/Apia' }],
  ['6', { prompt: 'Apia: leap day party.', cron: '0 9 29 2 *', timeZone: 'Pacific/Apia' }],
];

/** Runs on time (not late catch-ups) of each task in [from, to), on its own wall clock. */
function onTime(world: World, from: number, to: number): Record<number, string[]> {
  const shown: Record<number, string[]> = {};
  for (const run of world.runs.filter((r) => r.at >= from && r.at < to && r.at === r.dueAt)) {
    const zone = String(TEAM_TASKS[run.id - 1]?.[1].timeZone);
    (shown[run.id] ??= []).push(local(run.at, zone));
  }
  return shown;
}

describe('a year of scheduled tasks for a team across time zones', () => {
  it('runs each daily task once on every day of the clock changes: after a spring-forward gap, at the first of a repeated hour', async () => {
    const world = await startWorld({ CAIRN_TZ: 'UTC' }, tempDir(), undefined, Date.UTC(2026, 0, 1, 12));
    for (const [member, args] of TEAM_TASKS) expect(await schedule(world, member, args)).toMatch(/^Scheduled task #\d+: cron/);
    expect(await schedule(world, '6', { prompt: 'x', at: '2027-02-29T09:00', timeZone: 'Pacific/Apia' })).toMatch(/^Error from schedule_task: "2027-02-29T09:00" is not an ISO 8601 time/);
    expect(world.cairn.schedules.store.get(9)?.nextRunAt).toBe(DateTime.fromISO('2028-02-29T09:00', { zone: 'Pacific/Apia' }).toMillis());

    // New York springs forward on 8 March: 02:30 does not exist, and the task runs at 03:30, once.
    const window = async (fromIso: string, days: number) => {
      const from = Date.parse(fromIso);
      world.cairn.schedules.stop();
      world.cairn.manualClock.set(from);
      world.restart();
      // The catch-up of the weeks in between is not what is looked at here.
      await world.pass(days * DAY);
      return onTime(world, from, from + days * DAY);
    };
    const ny = await window('2026-03-07T00:00:00Z', 3);
    expect(ny[2]).toEqual(['Sat 7 Mar 02:30 -05:00', 'Sun 8 Mar 03:30 -04:00', 'Mon 9 Mar 02:30 -04:00']);
    expect(ny[3]).toEqual(['Sat 7 Mar 01:30 -05:00', 'Sun 8 Mar 01:30 -05:00', 'Mon 9 Mar 01:30 -04:00']);

    const london = await window('2026-03-28T00:00:00Z', 3);
    expect(london[1]).toEqual(['Sat 28 Mar 01:30 +00:00', 'Sun 29 Mar 02:30 +01:00', 'Mon 30 Mar 01:30 +01:00']);

    // Lord Howe goes back half an hour at 02:00 on 5 April: 01:45 comes twice and runs once.
    const howeBack = await window('2026-04-03T12:00:00Z', 3);
    expect(howeBack[6]).toEqual(['Sat 4 Apr 01:45 +11:00', 'Sun 5 Apr 01:45 +11:00', 'Mon 6 Apr 01:45 +10:30']);
    expect(howeBack[7]).toEqual(['Sat 4 Apr 02:15 +11:00', 'Sun 5 Apr 02:15 +10:30', 'Mon 6 Apr 02:15 +10:30']);
    // Month ends: Apia's last day of April, Kolkata's 31st skips April.
    const monthEnd = await window('2026-04-29T00:00:00Z', 4);
    expect(monthEnd[8]).toEqual(['Thu 30 Apr 09:00 +13:00']);
    expect(monthEnd[5]).toBeUndefined();
    expect(monthEnd[4]).toEqual(['Wed 29 Apr 09:00 +05:30', 'Thu 30 Apr 09:00 +05:30', 'Fri 1 May 09:00 +05:30']);

    // Lord Howe goes forward half an hour at 02:00 on 4 October: 02:15 runs at 02:45.
    const howeOn = await window('2026-10-02T12:00:00Z', 3);
    expect(howeOn[7]).toEqual(['Sat 3 Oct 02:15 +10:30', 'Sun 4 Oct 02:45 +11:00', 'Mon 5 Oct 02:15 +11:00']);
    expect(howeOn[6]).toEqual(['Sat 3 Oct 01:45 +10:30', 'Sun 4 Oct 01:45 +10:30', 'Mon 5 Oct 01:45 +11:00']);

    const londonBack = await window('2026-10-24T00:00:00Z', 3);
    expect(londonBack[1]).toEqual(['Sat 24 Oct 01:30 +01:00', 'Sun 25 Oct 01:30 +01:00', 'Mon 26 Oct 01:30 +00:00']);

    const nyBack = await window('2026-10-31T00:00:00Z', 3);
    expect(nyBack[3]).toEqual(['Sat 31 Oct 01:30 -04:00', 'Sun 1 Nov 01:30 -04:00', 'Mon 2 Nov 01:30 -05:00']);
    expect(nyBack[2]).toEqual(['Sat 31 Oct 02:30 -04:00', 'Sun 1 Nov 02:30 -05:00', 'Mon 2 Nov 02:30 -05:00']);
  });

  it('runs each task missed while Cairn was down three days once, marked late; a changed CAIRN_TZ leaves each task in its zone, and the CLI lists what /schedules does', async () => {
    const dataDir = tempDir();
    const first = await startWorld({ CAIRN_TZ: 'Europe/London' }, dataDir, undefined, Date.UTC(2026, 5, 1, 12));
    expect(await schedule(first, '2', { prompt: 'Daily digest.', cron: '0 8 * * *' })).toBe('Scheduled task #1: cron "0 8 * * *" (Europe/London), first run Tue 2 Jun 2026, 08:00 (Europe/London).');
    expect(await schedule(first, '2', { prompt: 'Kolkata stand-up.', cron: '0 9 * * 1-5', timeZone: 'Asia/Kolkata' })).toMatch(/^Scheduled task #2/);
    await first.pass(DAY);
    expect(first.runs.map((r) => r.id)).toEqual([2, 1]);
    const stoppedAt = first.cairn.manualClock.now();
    await first.cairn.close();
    open.splice(open.indexOf(first), 1);

    // Back three days later, under another CAIRN_TZ.
    const second = await startWorld({ CAIRN_TZ: 'Asia/Kolkata' }, dataDir, first.server, stoppedAt + 3 * DAY);
    expect(second.runs.map((r) => r.id).sort()).toEqual([1, 2]);
    for (const run of second.runs) expect(run.text).toMatch(/; it was due .*, while Cairn was not running\./);
    expect(second.runs.find((r) => r.id === 1)?.text).toContain('; 3 of its runs were missed (Wed 3 Jun 2026, 08:00 (Europe/London) to Fri 5 Jun 2026, 08:00 (Europe/London)) and this one run is for the latest of them, not the others; it was due Fri 5 Jun 2026, 08:00 (Europe/London), while Cairn was not running.');
    expect(second.cairn.schedules.store.get(1)).toMatchObject({ timeZone: 'Europe/London', nextRunAt: Date.parse('2026-06-06T07:00:00Z') });

    await second.cairn.gateway.receive(dm(second, '2', '/schedules'));
    const listed = (second.telegram.texts().at(-1) ?? '').split('\n').filter((line) => line.startsWith('#'));
    expect(listed).toEqual([
      '#1 cron "0 8 * * *", next Sat 6 Jun 2026, 08:00 (Europe/London), set by user2: Daily digest.',
      '#2 cron "0 9 * * 1-5", next Mon 8 Jun 2026, 09:00 (Asia/Kolkata), set by user2: Kolkata stand-up.',
    ]);
    const previous = process.env.CAIRN_DATA_DIR;
    process.env.CAIRN_DATA_DIR = dataDir;
    try {
      const cli = await runCairnInProcess('schedules', 'list');
      expect(cli.map((line) => line.replace(/ {2}\[.*\]$/, ''))).toEqual(listed);
    } finally {
      if (previous === undefined) delete process.env.CAIRN_DATA_DIR;
      else process.env.CAIRN_DATA_DIR = previous;
    }
  });

  it('runs a task whose time a wall clock set forward (NTP) passed soon after, and not again when it is set back', async () => {
    const world = await startWorld({ CAIRN_TZ: 'UTC' }, tempDir(), undefined, Date.UTC(2026, 5, 1, 0));
    expect(await schedule(world, '4', { prompt: 'Stand-up notes.', cron: '0 9 * * *', timeZone: 'Asia/Kolkata' })).toMatch(/first run Mon 1 Jun 2026, 09:00/);
    // A one-off at the 01:30 New York's fall-back repeats is the first, as a daily task's (set in summer or winter alike: see schedule-one-off-repeated-hour).
    expect(await schedule(world, '3', { prompt: 'Call the night shift.', at: '2026-11-01T01:30', timeZone: 'America/New_York' })).toBe('Scheduled task #2 for Sun 1 Nov 2026, 01:30 (America/New_York).');
    expect(world.cairn.schedules.store.get(2)?.nextRunAt).toBe(Date.parse('2026-11-01T05:30:00Z'));
    // Booted without a real-time clock: the wall clock is 10 hours behind, then NTP sets it right.
    world.cairn.manualClock.advance(10 * HOUR);
    await world.pass(30 * MINUTE);
    expect(world.runs.map((r) => r.id)).toEqual([1]);
    // Cairn ran all along: the run is late, not missed while it was down.
    expect(world.runs[0]?.text).toMatch(/; it was due Mon 1 Jun 2026, 09:00 \(Asia\/Kolkata\) and runs late\./);
    // Set back an hour: the day's run is not run again.
    world.cairn.manualClock.advance(-HOUR);
    await world.pass(6 * HOUR);
    expect(world.runs.map((r) => r.id)).toEqual([1]);
  });
});

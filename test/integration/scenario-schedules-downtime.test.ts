/**
 * Cairn down or asleep for a while, and back. Dana runs Cairn on a laptop for herself on Telegram: a
 * daily 08:00 briefing, a weekly Friday report, one-off reminders. On Friday at 18:00 the lid closes
 * and opens on Monday at 09:00 (Node's timers stood still meanwhile; the wall clock moved on). The
 * briefing missed Saturday, Sunday and Monday runs once on waking, and its run must say which time it
 * stands for (Monday's, the latest, and that three were missed), or the model writes Saturday's
 * briefing when she wants today's. Over a two-week holiday the weekly report is the same. A reminder
 * whose time passed runs once, late, saying when it was due. An approval waiting when the lid closed
 * is judged by the wall clock on waking: pressed then, it has expired (the command must not run hours
 * later on a stale yes), and the tool waiting on it hears so at once, not after the rest of its time
 * awake. With CAIRN_KEEP_HISTORY_DAYS set, `/export` of a conversation whose messages the sweep deleted
 * says so, rather than that there is nothing to export yet. All on the real SQLite, the machine's
 * sleep played by test/helpers/sleeping-machine.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, tempDir, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { SleepingMachine } from '../helpers/sleeping-machine.js';
import { HistoryRetention } from '../../src/store/history-retention.js';
import type { InboundMessage } from '../../src/core/message.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Friday 27 Nov 2026, 17:30 UTC (Dana's zone here): half an hour before the lid closes. */
const FRIDAY = Date.UTC(2026, 10, 27, 17, 30);

interface Laptop {
  machine: SleepingMachine;
  server: FakeModelServer;
  cairn: TestCairn;
  telegram: RecordingAdapter;
  /** The scheduled runs handed to the gateway: their message's text. */
  runs: string[];
  /** Running time goes by, each run waited for. */
  pass(ms: number): Promise<void>;
}

const open: Laptop[] = [];
afterEach(async () => {
  for (const laptop of open.splice(0)) {
    await laptop.cairn.close();
    await laptop.server.close();
  }
});

async function startLaptop(env: Record<string, string> = {}, at = FRIDAY, dataDir = tempDir()): Promise<Laptop> {
  const machine = new SleepingMachine(at);
  const server = await startFakeModelServer();
  server.setDefault(() => ({ text: 'Done.' }));
  const cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', ...env }, dataDir), { clock: machine.clock, timers: machine });
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  const runs: string[] = [];
  const handed: Promise<unknown>[] = [];
  cairn.schedules.start((message: InboundMessage) => {
    runs.push(message.text);
    const run = cairn.gateway.receive(message);
    handed.push(run);
    return run;
  }, cairn.gateway.platforms());
  const laptop: Laptop = { machine, server, cairn, telegram, runs, pass: (ms) => machine.pass(ms, () => Promise.all(handed)) };
  open.push(laptop);
  return laptop;
}

let messages = 0;
const dm = (laptop: Laptop, text: string): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return laptop.telegram.message(text, {
    messageId: `dm-${++messages}`,
    senderId: '2',
    userId: 'telegram:2',
    userName: 'dana',
    conversationId: 'telegram:dm:2',
    ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}),
  });
};

/** Has the model call schedule_task for Dana; returns what the tool answered. */
async function schedule(laptop: Laptop, args: Record<string, unknown>): Promise<string> {
  laptop.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: args }] }, { text: 'OK.' });
  const before = laptop.server.chatRequests().length;
  await laptop.cairn.gateway.receive(dm(laptop, 'schedule something'));
  const last = (body: ChatBody) => (body.messages as { role: string; content: string }[]).at(-1);
  return laptop.server.chatRequests().slice(before).map(last).find((message) => message?.role === 'tool')?.content ?? '';
}

describe('Cairn down or asleep for a while, and back', () => {
  it('1. a daily 08:00 briefing the laptop slept through from Saturday to Monday runs once on waking, for Monday (the latest), saying three runs were missed', async () => {
    const laptop = await startLaptop();
    expect(await schedule(laptop, { prompt: "Brief me on today's calendar.", cron: '0 8 * * *' })).toMatch(/^Scheduled task #1: cron "0 8 \* \* \*" \(UTC\), first run Sat 28 Nov 2026, 08:00/);
    await laptop.pass(30 * MINUTE);
    // The lid closes Friday 18:00 and opens Monday 09:00.
    laptop.machine.sleep(2 * DAY + 15 * HOUR);
    await laptop.pass(30 * MINUTE);
    expect(laptop.runs).toHaveLength(1);
    const run = laptop.runs[0] ?? '';
    expect(run).toContain('it was due Mon 30 Nov 2026, 08:00 (UTC) and runs late');
    expect(run).toContain('; 3 of its runs were missed (Sat 28 Nov 2026, 08:00 (UTC) to Mon 30 Nov 2026, 08:00 (UTC)) and this one run is for the latest of them, not the others; it was due Mon 30 Nov 2026, 08:00 (UTC) and runs late.');
    expect(run).not.toContain('Sat 28 Nov 2026, 08:00 and runs late');
    // And nothing more until Tuesday's.
    expect(laptop.cairn.schedules.store.get(1)?.nextRunAt).toBe(Date.UTC(2026, 11, 1, 8));
  });

  it('2. an approval waiting when the lid closed has expired on waking: a press then runs nothing, and the tool waiting on it hears so within seconds', async () => {
    const laptop = await startLaptop();
    const asked: string[] = [];
    const request = () =>
      laptop.cairn.approvals.request(
        { sessionId: 's1', conversationId: 'telegram:dm:2', userId: 'telegram:2', backend: 'local', tool: 'terminal', command: 'rm -rf ~/old-builds', danger: { rule: 'recursive-delete', reason: 'deletes a directory recursively' }, byAdmin: true },
        async (text) => void asked.push(text),
      );
    const idOf = (text: string | undefined) => /\/approve (\w+)/.exec(text ?? '')?.[1] ?? '';

    // Asked a minute before the lid closes (5 minutes to answer); pressed on Monday morning.
    const first = request();
    await laptop.pass(MINUTE);
    laptop.machine.sleep(2 * DAY + 15 * HOUR);
    await laptop.cairn.gateway.receive(dm(laptop, `/approve ${idOf(asked[0])}`));
    expect(laptop.telegram.texts().at(-1)).toBe(`Request ${idOf(asked[0])} is already expired: nobody answered in time.`);
    expect(await first).toMatchObject({ status: 'expired', decidedBy: 'cairn:timeout' });

    // Not pressed: the tool waiting on it is told within seconds of waking, not after the four minutes it had left.
    let decided: unknown;
    void request().then((decision) => (decided = decision));
    await laptop.pass(MINUTE);
    laptop.machine.sleep(15 * HOUR);
    await laptop.pass(30_000);
    expect(decided).toMatchObject({ status: 'expired', decidedBy: 'cairn:timeout' });
  });

  it('3. /export of a conversation whose messages the CAIRN_KEEP_HISTORY_DAYS sweep deleted says so, not that nothing was said yet', async () => {
    const laptop = await startLaptop({ CAIRN_KEEP_HISTORY_DAYS: '30' });
    laptop.server.enqueue({ text: 'The staging deploy steps are: build, push, restart.' });
    await laptop.cairn.gateway.receive(dm(laptop, 'How do I deploy to staging?'));
    // The conversation ends after a while without messages; its notes are made.
    await laptop.pass(45 * MINUTE);
    laptop.cairn.sessions.sweepIdle();
    laptop.cairn.db.prepare("UPDATE sessions SET notes_state = 'done'").run();
    await laptop.cairn.gateway.receive(dm(laptop, '/export'));
    // (This fake takes no files: the transcript comes as a message.)
    expect(laptop.telegram.texts().at(-1)).toMatch(/^# Conversation with \w+[^]*The staging deploy steps are/);

    // Back from five weeks away: the sweep at the start deleted its messages.
    laptop.machine.sleep(35 * DAY);
    const swept = await new HistoryRetention({ db: laptop.cairn.db, clock: laptop.machine.clock, keepDays: 30, pause: () => Promise.resolve() }).sweep();
    expect(swept.sessions).toBe(1);
    await laptop.cairn.gateway.receive(dm(laptop, '/export'));
    expect(laptop.telegram.texts().at(-1)).toBe(
      'The messages of our last conversation here (it ended 2026-11-27) were deleted on 2027-01-01: history is kept for a set number of days here (CAIRN_KEEP_HISTORY_DAYS), so there is nothing left to export. Nothing newer has been said here yet.',
    );
  });

  it('4. over a two-week holiday with Cairn stopped, the weekly report runs once for the latest Friday, saying three were missed; a reminder runs once, late, saying when it was due', async () => {
    const dataDir = tempDir();
    const before = await startLaptop({}, Date.UTC(2026, 11, 18, 12), dataDir);
    expect(await schedule(before, { prompt: 'Write the weekly report.', cron: '0 17 * * 5', timeZone: 'Europe/Berlin' })).toMatch(/^Scheduled task #1/);
    expect(await schedule(before, { prompt: 'Remind me to renew the domain.', at: '2026-12-21T09:00' })).toBe('Scheduled task #2 for Mon 21 Dec 2026, 09:00 (UTC).');
    // Stopped for the holiday on Friday at noon, before the day's report.
    await before.cairn.close();
    open.splice(open.indexOf(before), 1);
    await before.server.close();

    const after = await startLaptop({}, Date.UTC(2027, 0, 4, 8), dataDir);
    await after.pass(MINUTE);
    expect(after.runs).toHaveLength(2);
    const [report, reminder] = [1, 2].map((id) => after.runs.find((text) => text.startsWith(`[Scheduled task #${id},`)) ?? '');
    expect(report).toContain('; 3 of its runs were missed (Fri 18 Dec 2026, 17:00 (Europe/Berlin) to Fri 1 Jan 2027, 17:00 (Europe/Berlin)) and this one run is for the latest of them, not the others; it was due Fri 1 Jan 2027, 17:00 (Europe/Berlin), while Cairn was not running.');
    // A one-off has one time: it is said as it was, the model sees how late from the date.
    expect(reminder).toContain('; it was due Mon 21 Dec 2026, 09:00 (UTC), while Cairn was not running.');
    expect(after.cairn.schedules.store.get(1)?.nextRunAt).toBe(Date.UTC(2027, 0, 8, 16));
    expect(after.cairn.schedules.store.get(2)?.status).toBe('done');
  });
});

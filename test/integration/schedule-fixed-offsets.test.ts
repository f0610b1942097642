/**
 * People give fixed offsets ("at 9 UTC+2"). Refused those, models picked Etc/GMT+2, which is UTC−2
 * (POSIX counts the sign backwards): the task ran four hours off. Offsets are now read as written,
 * and the Etc/GMT±N names are refused with what they mean.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTimeZone } from '../../src/schedules/zone.js';
import { nextCronRun, parseAt, showTime } from '../../src/schedules/timing.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

describe('fixed offsets as time zones of scheduled tasks', () => {
  it('are read as people write them', () => {
    expect(checkTimeZone('UTC+2')).toBe('UTC+2');
    expect(checkTimeZone('GMT-05:00')).toBe('UTC-5');
    expect(checkTimeZone('+0530')).toBe('UTC+5:30');
    expect(checkTimeZone('utc\u22123')).toBe('UTC-3');
    expect(checkTimeZone('UTC+5:45')).toBe('UTC+5:45');
    expect(checkTimeZone('UTC+00:00')).toBe('UTC');
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(checkTimeZone('Etc/GMT')).toBe('Etc/GMT');
  });

  it('place times at the offset they name', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    expect(new Date(parseAt('2026-11-25T09:00', 'UTC+2', now)).toISOString()).toBe('2026-11-25T07:00:00.000Z');
    expect(new Date(nextCronRun('0 9 * * *', 'UTC+5:30', now)).toISOString()).toBe('2026-11-24T03:30:00.000Z');
    expect(showTime(Date.parse('2026-11-25T07:00:00Z'), 'UTC+2')).toBe('Wed 25 Nov 2026, 09:00 (UTC+2)');
  });

  it('refuse offsets nobody uses, and say what an Etc/GMT name means', () => {
    expect(() => checkTimeZone('UTC+15')).toThrow(/no UTC offset in use/);
    expect(() => checkTimeZone('UTC+5:10')).toThrow(/quarter hours/);
    expect(() => checkTimeZone('Etc/GMT+2')).toThrow('"Etc/GMT+2" is UTC-2: the Etc/GMT names count the sign backwards.');
    expect(() => checkTimeZone('Etc/GMT-14')).toThrow(/is UTC\+14/);
  });
});

describe('a task set by the model with an offset', () => {
  let server: FakeModelServer;
  let cairn: TestCairn;
  const telegram = new RecordingAdapter('telegram');
  const timers = new ManualTimers();

  beforeEach(async () => {
    server = await startFakeModelServer();
    cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'Etc/GMT-3' }), { timers });
    cairn.gateway.attach(telegram);
  });
  afterEach(async () => {
    await cairn.close();
    await server.close();
  });

  async function schedule(args: Record<string, unknown>): Promise<string> {
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: args }] }, { text: 'OK.' });
    await cairn.gateway.receive(telegram.message('remind me', { senderId: '2', userId: 'telegram:2', conversationId: 'telegram:dm:2' }));
    const tool = (server.chatRequests().at(-1)?.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool');
    return tool.at(-1)?.content ?? '';
  }

  it('runs at that offset, and an operator may still name an Etc/GMT zone in CAIRN_TZ', async () => {
    // The test clock starts at 2026-11-24T09:00Z.
    expect(await schedule({ prompt: 'Call Ana.', at: '2026-11-24T14:00', timeZone: 'UTC+2' })).toBe('Scheduled task #1 for Tue 24 Nov 2026, 14:00 (UTC+2).');
    expect(new Date(cairn.schedules.store.active()[0]!.nextRunAt!).toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(await schedule({ prompt: 'Call Bo.', at: '2026-11-24T14:00' })).toBe('Scheduled task #2 for Tue 24 Nov 2026, 14:00 (Etc/GMT-3).');
    expect(await schedule({ prompt: 'Call Cy.', at: '2026-11-24T14:00', timeZone: 'Etc/GMT+2' })).toMatch(/^Error from schedule_task: "Etc\/GMT\+2" is UTC-2/);
  });
});

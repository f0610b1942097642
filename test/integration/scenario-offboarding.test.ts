/**
 * A person leaves the company. Bo's Slack account is deactivated (users.info says `deleted: true`),
 * and Dee, on Telegram, blocks the bot on her way out (sends to her answer 403 "Forbidden: bot was
 * blocked by the user"). Over the following weeks Cairn keeps running what they set up: Bo's daily
 * report into the team channel, Dee's daily reminder to herself. The admin who cleans up expects the
 * tasks of a gone account to stop, without the model being paid to answer nobody, and to be told in
 * the admin channel which tasks stopped and why, so that they can cancel them or hand them on; and
 * `cairn doctor` to say when SLACK_ADMIN_USERS names an admin who left (nobody may be left to approve
 * risky commands). Their names stay in audits and skill history: that is history (README says so).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboundReply } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { HttpServer } from '../../src/http/server.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { checkPlatform } from '../../src/cli/doctor.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers as AdapterTimers } from '../helpers/manual-timers.js';
import { ManualTimers } from '../backends/helpers.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';

const SECRET = 'fake-signing-secret-0123456789';
const DAY = 24 * 60 * 60_000;
const ADMIN_CHANNEL_SLACK = 'slack:T1:CADMIN';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = (model: FakeModelServer) => model.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

interface SlackWorld {
  slack: FakeSlackApi;
  model: FakeModelServer;
  cairn: TestCairn;
  timers: ManualTimers;
}

/** Cairn on Slack (the real Bolt against the fake Web API), Ada (U1) the admin, Bo (U2) a member, audits and proposals to #admin. */
async function slackWorld(): Promise<SlackWorld> {
  const model = await startFakeModelServer();
  const slack = await startFakeSlackApi();
  closers.push(() => slack.close(), () => model.close());
  const timers = new ManualTimers();
  const config = testConfig(model.url, {
    SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: SECRET,
    SLACK_ALLOWED_USERS: 'U2', SLACK_ADMIN_USERS: 'U1', CAIRN_ADMIN_CHANNEL: ADMIN_CHANNEL_SLACK, CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC',
  });
  const cairn = startTestCairn(config, { timers });
  const http = new HttpServer();
  const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new AdapterTimers().timer });
  cairn.gateway.attach(adapter);
  await http.listen(0, '127.0.0.1');
  await adapter.start((message) => cairn.gateway.receive(message));
  closers.push(async () => {
    await adapter.stop();
    await http.close();
    await cairn.close();
  });
  return { slack, model, cairn, timers };
}

/** Bo's daily report into #team at 09:00, as schedule_task sets it from his mention there. */
function bosDailyReport(cairn: TestCairn): number {
  const requester = { conversationId: 'slack:T1:CTEAM', platform: 'slack', identity: 'slack:T1:U2', senderId: 'U2', userName: 'Bo', isDirect: false, person: 'slack:T1:U2', isAdmin: false };
  return cairn.schedules.create(requester, { prompt: 'Post the open incidents report.', cron: '0 9 * * *' }).id;
}

describe('Bo’s Slack account is deactivated', () => {
  it('his daily report into the team channel stops running as him, without a model call, and the admins are told', async () => {
    const w = await slackWorld();
    const id = bosDailyReport(w.cairn);
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    w.model.setDefault(() => ({ text: 'Open incidents: none.' }));
    await pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(1);
    await w.slack.waitForMessages(1, (post) => post.channel === 'CTEAM');

    // Bo leaves; his account is deactivated. The next morning's run would be his request, for nobody's account.
    w.slack.deactivated.add('U2');
    await pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(1);
    expect(w.slack.posts.filter((post) => post.channel === 'CTEAM')).toHaveLength(1);
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)?.paused).toBe(true));
    expect(w.cairn.schedules.store.get(id)?.status).toBe('active');
    // The admin channel says which task, whose, why, and what to do.
    const [notice] = await w.slack.waitForMessages(1, (post) => post.channel === 'CADMIN');
    expect(notice?.text).toContain(`#${id}`);
    expect(notice?.text).toContain('Bo');
    expect(notice?.text).toMatch(/deactivated/);
    expect(notice?.text).toContain(`cairn schedules cancel ${id}`);
  });

  it('stays stopped across a restart, and runs again if the account is reactivated', async () => {
    const w = await slackWorld();
    const id = bosDailyReport(w.cairn);
    w.slack.deactivated.add('U2');
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    w.model.setDefault(() => ({ text: 'Open incidents: none.' }));
    await pass(DAY, 1);
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)?.paused).toBe(true));

    // A restart tries paused tasks again at once (access may have been given back): the account is still gone.
    w.cairn.schedules.stop();
    w.cairn.manualClock.advance(60 * 60_000);
    const again = runScheduledTasks(w.cairn, w.timers);
    await vi.waitFor(() => expect(again.runs).toHaveLength(1));
    await Promise.all(again.runs);
    expect(scheduledRuns(w.model)).toBe(0);
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)?.paused).toBe(true));

    // Deactivated by mistake: reactivated, the next start runs it again (late, once), and then every day.
    w.slack.deactivated.delete('U2');
    w.cairn.schedules.stop();
    w.cairn.manualClock.advance(60 * 60_000);
    const third = runScheduledTasks(w.cairn, w.timers);
    await vi.waitFor(() => expect(third.runs).toHaveLength(1));
    await Promise.all(third.runs);
    expect(scheduledRuns(w.model)).toBe(1);
    expect(w.cairn.schedules.store.get(id)?.paused).toBe(false);
    await third.pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(2);
  });

  it('cairn doctor says SLACK_ADMIN_USERS names an admin who left, and fails when no admin is left', async () => {
    const w = await slackWorld();
    const config = (admins: string) => testConfig(w.model.url, { SLACK_BOT_TOKEN: w.slack.botToken, SLACK_API_URL: w.slack.url, SLACK_SIGNING_SECRET: SECRET, SLACK_ADMIN_USERS: admins });
    expect((await checkPlatform('slack', config('U1,U3'))).detail).not.toMatch(/deactivated/);

    w.slack.deactivated.add('U1');
    const one = await checkPlatform('slack', config('U1,U3'));
    expect(one.ok).toBe(true);
    expect(one.detail).toMatch(/SLACK_ADMIN_USERS names U1 \(Ada\), whose Slack account is deactivated/);

    const none = await checkPlatform('slack', config('U1'));
    expect(none.ok).toBe(false);
    expect(none.detail).toMatch(/nobody on Slack can approve/);
  });
});

/** Telegram after Dee blocked the bot: every send to her DM is refused with 403. */
class BlockedAdapter extends RecordingAdapter {
  readonly blocked = new Set<string>();
  override async send(conversationId: string, reply: OutboundReply): Promise<string | undefined> {
    if (this.blocked.has(conversationId)) throw new CairnError('permission', 'Telegram refused: Forbidden: bot was blocked by the user', { platform: 'telegram', status: 403 });
    return super.send(conversationId, reply);
  }
}

describe('Dee blocks the bot on Telegram', () => {
  it('her daily reminder to herself stops after the refused runs, and the admins are told which and why', async () => {
    const model = await startFakeModelServer();
    closers.push(() => model.close());
    const timers = new ManualTimers();
    const cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '5', TELEGRAM_ADMIN_USERS: '1', CAIRN_ADMIN_CHANNEL: 'telegram:-900', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }), { timers });
    closers.push(() => cairn.close());
    const telegram = new BlockedAdapter('telegram');
    cairn.gateway.attach(telegram);
    const dm = { conversationId: 'telegram:5', platform: 'telegram', identity: 'telegram:5', senderId: '5', userName: 'Dee', isDirect: true, person: 'telegram:5', isAdmin: false };
    const id = cairn.schedules.create(dm, { prompt: 'Remind me to file my timesheet.', cron: '0 9 * * 1-5' }).id;
    const { pass } = runScheduledTasks(cairn, timers);
    model.setDefault(() => ({ text: 'File your timesheet.' }));

    telegram.blocked.add('telegram:5');
    await pass(DAY, 10, id);
    expect(cairn.schedules.store.get(id)?.status).toBe('cancelled');
    expect(scheduledRuns(model)).toBe(3);
    await vi.waitFor(() => expect(telegram.sent.filter((s) => s.conversationId === 'telegram:-900')).toHaveLength(1));
    const notice = telegram.sent.find((s) => s.conversationId === 'telegram:-900')?.reply.text ?? '';
    expect(notice).toContain(`#${id}`);
    expect(notice).toContain('Dee');
    expect(notice).toContain('blocked by the user');
  });
});

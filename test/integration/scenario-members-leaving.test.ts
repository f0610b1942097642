/**
 * Members come and go in a Discord community server and a Telegram group. Mo, a member of the Discord
 * server, asks Cairn in #general to post the build status every morning; then he leaves the server (or
 * is removed, or banned). Cairn does not ask for the privileged Server Members intent, so it hears no
 * member-left event: before, Mo's task went on posting as him, every morning, in a server he had left
 * (paid from his allowance, with his notes), and nobody was told. The community's admin expects it to
 * stop without the model being asked, to be told in the admin channel which task, whose, why (a ban
 * named as one when Cairn may see bans) and how to end it; and when Mo comes back and talks to Cairn in
 * #general again, his task to go on from its next morning. Nia, in a Telegram group, the same: she
 * leaves (getChatMember `left`) or is banned (`kicked`). And Bo, on Slack, leaves #builds (his account
 * stays): where Cairn may list a channel's members (channels:read), his task there stops too. A failure to tell (Discord not answering, a
 * server the bot was removed from) is taken as still there, as for Slack's deactivated accounts; a
 * task in a private chat is the person's own and is never asked about.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { HttpServer } from '../../src/http/server.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { startFakeSlackApi } from '../fakes/slack-api.js';
import { APP_ID, BOT_USER, CHANNEL_ID, GUILD_ID, startFakeDiscord, type FakeDiscord } from '../fakes/discord-api.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers as AdapterTimers } from '../helpers/manual-timers.js';
import { ManualTimers } from '../backends/helpers.js';
import { guildMessage } from '../helpers/discord-rig.js';
import { useTelegramRig } from '../helpers/telegram-rig.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';

const DAY = 24 * 60 * 60_000;
const MO = { id: '400000000000000007', username: 'mo', discriminator: '0', global_name: 'Mo', avatar: null };
const ADMIN_CHANNEL = '300000000000000005';
const GENERAL = `discord:${GUILD_ID}:${CHANNEL_ID}`;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = (model: FakeModelServer) => model.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

/** The next day, with `count` runs falling due together (runScheduledTasks' `pass` waits for one). */
async function morning(cairn: TestCairn, timers: ManualTimers, runs: Promise<unknown>[], count: number): Promise<void> {
  const before = runs.length;
  cairn.manualClock.advance(DAY);
  timers.fireAll();
  await vi.waitFor(() => expect(runs).toHaveLength(before + count));
  await Promise.all(runs);
}

interface DiscordWorld {
  discord: FakeDiscord;
  model: FakeModelServer;
  cairn: TestCairn;
  timers: ManualTimers;
  /** What Cairn posted in a channel. */
  postsIn(channelId: string): string[];
}

/** Cairn on Discord (the real discord.js against the fake), Mo a member let in by the allowlist, audits and notices to #admin. */
async function discordWorld(): Promise<DiscordWorld> {
  const model = await startFakeModelServer();
  const discord = await startFakeDiscord();
  closers.push(() => discord.close(), () => model.close());
  const timers = new ManualTimers();
  const config = testConfig(model.url, {
    DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: discord.apiUrl,
    DISCORD_ALLOWED_USERS: MO.id, DISCORD_ADMIN_USERS: '400000000000000001', CAIRN_ADMIN_CHANNEL: `discord:${GUILD_ID}:${ADMIN_CHANNEL}`, CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC',
  });
  const cairn = startTestCairn(config, { timers });
  const adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new AdapterTimers().timer });
  cairn.gateway.attach(adapter);
  await adapter.start((message) => cairn.gateway.receive(message));
  closers.push(async () => {
    await adapter.stop();
    await cairn.close();
  });
  const postsIn = (channelId: string) => discord.sent.filter((sent) => sent.channelId === channelId).map((sent) => sent.content);
  return { discord, model, cairn, timers, postsIn };
}

/** Mo's build status in #general every morning at 08:00, as schedule_task sets it from his mention there. */
function mosBuildStatus(cairn: TestCairn, conversationId = GENERAL): number {
  const requester = { conversationId, platform: 'discord', identity: `discord:${MO.id}`, senderId: MO.id, userName: 'Mo', isDirect: conversationId.includes(':dm:'), person: `discord:${MO.id}`, isAdmin: false };
  return cairn.schedules.create(requester, { prompt: 'Post the build status.', cron: '0 8 * * *' }).id;
}

describe('Mo leaves the Discord server', () => {
  it('his morning build status stops posting in the server he left, without a model call, and the admins are told', async () => {
    const w = await discordWorld();
    const id = mosBuildStatus(w.cairn);
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    w.model.setDefault(() => ({ text: 'Build: green.' }));
    await pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(1);
    await vi.waitFor(() => expect(w.postsIn(CHANNEL_ID)).toEqual(['Build: green.']));

    // Mo leaves the server. Cairn hears no event of it (no Server Members intent); Discord's REST still says so.
    w.discord.departed.add(MO.id);
    await pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(1);
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)).toMatchObject({ status: 'active', paused: true }));
    expect(w.postsIn(CHANNEL_ID)).toHaveLength(1);
    expect(w.discord.calls.some((call) => call.method === 'GET' && call.path === `/guilds/${GUILD_ID}/members/${MO.id}`)).toBe(true);
    // The admin channel says which task, whose, why, and what to do.
    await vi.waitFor(() => expect(w.postsIn(ADMIN_CHANNEL)).toHaveLength(1));
    const [notice = ''] = w.postsIn(ADMIN_CHANNEL);
    expect(notice).toContain(`#${id}`);
    expect(notice).toContain('Mo');
    expect(notice).toMatch(/no longer a member of the Discord server Test Guild \(they left, or were removed\)/);
    expect(notice).toContain(`cairn schedules cancel ${id}`);
    // /schedules in #general says why it is paused, not "has no access now" (he is still on the allowlist).
    expect(w.cairn.schedules.describe(w.cairn.schedules.store.get(id)!)).toMatch(/paused \(Mo set it, and they are no longer a member of the Discord server Test Guild .*; it goes on once they write to me here again\)/);
  });

  it('a ban is named as one where Cairn may see bans, and as possible where it may not', async () => {
    const w = await discordWorld();
    const id = mosBuildStatus(w.cairn);
    w.discord.banned.add(MO.id);
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    await pass(DAY, 1);
    await vi.waitFor(() => expect(w.postsIn(ADMIN_CHANNEL)).toHaveLength(1));
    expect(w.postsIn(ADMIN_CHANNEL)[0]).toMatch(new RegExp(`#${id}.*they were banned from the Discord server Test Guild`));

    // Without Ban Members, Discord does not say: the notice names all three.
    w.discord.hideBans();
    w.cairn.schedules.stop();
    const again = runScheduledTasks(w.cairn, w.timers);
    await vi.waitFor(() => expect(again.runs).toHaveLength(1));
    await Promise.all(again.runs);
    await vi.waitFor(() => expect(w.postsIn(ADMIN_CHANNEL)).toHaveLength(2));
    expect(w.postsIn(ADMIN_CHANNEL)[1]).toMatch(/\(they left, or were removed or banned\)/);
    expect(scheduledRuns(w.model)).toBe(0);
  });

  it('when he comes back and talks to Cairn in #general, his task goes on from its next morning, and the admins hear it', async () => {
    const w = await discordWorld();
    const id = mosBuildStatus(w.cairn);
    w.discord.departed.add(MO.id);
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    w.model.setDefault(() => ({ text: 'Build: green.' }));
    await pass(DAY, 1);
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)?.paused).toBe(true));
    // Away for a week.
    w.cairn.manualClock.advance(7 * DAY);
    w.timers.fireAll();
    expect(scheduledRuns(w.model)).toBe(0);

    // Mo rejoins and says hello to Cairn in #general.
    w.discord.departed.delete(MO.id);
    w.discord.dispatch('MESSAGE_CREATE', guildMessage('600000000000000001', CHANNEL_ID, MO, `<@${BOT_USER.id}> hi, I am back`, { mentions: [BOT_USER] }));
    await vi.waitFor(() => expect(w.cairn.schedules.store.get(id)?.paused).toBe(false));
    // Not at once (the runs he missed are stale): from the next 08:00.
    expect(w.cairn.schedules.store.get(id)?.nextRunAt).toBeGreaterThan(w.cairn.manualClock.now());
    expect(scheduledRuns(w.model)).toBe(0);
    await vi.waitFor(() => expect(w.postsIn(ADMIN_CHANNEL)).toHaveLength(2));
    expect(w.postsIn(ADMIN_CHANNEL)[1]).toMatch(new RegExp(`#${id}.* goes on: Mo, who set it, wrote to me there again`));
    await pass(DAY, 1);
    expect(scheduledRuns(w.model)).toBe(1);
  });

  it('a task in his direct chat is not asked about, and one that cannot be told runs', async () => {
    const w = await discordWorld();
    const direct = mosBuildStatus(w.cairn, 'discord:dm:300000000000000009');
    // A server Cairn was removed from: Discord answers 403 Missing Access, which tells nothing of Mo.
    const elsewhere = mosBuildStatus(w.cairn, 'discord:200000000000000099:300000000000000077');
    w.discord.departed.add(MO.id);
    const { runs } = runScheduledTasks(w.cairn, w.timers);
    w.model.setDefault(() => ({ text: 'Build: green.' }));
    await morning(w.cairn, w.timers, runs, 2);
    expect(scheduledRuns(w.model)).toBe(2);
    expect(w.cairn.schedules.store.get(direct)?.paused).toBe(false);
    expect(w.cairn.schedules.store.get(elsewhere)?.paused).toBe(false);
    expect(w.discord.calls.filter((call) => call.path.includes('/members/')).map((call) => call.path)).toEqual([`/guilds/200000000000000099/members/${MO.id}`]);
  });
});

describe('Nia leaves the Telegram group', () => {
  const rigs = useTelegramRig();
  const NIA = 77;
  const GROUP = -100123;

  async function telegramWorld() {
    const timers = new ManualTimers();
    const rig = await rigs.start({ env: { TELEGRAM_ALLOWED_USERS: String(NIA), TELEGRAM_ADMIN_USERS: '1', CAIRN_ADMIN_CHANNEL: 'telegram:-900', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }, cairn: { timers } });
    rig.model.setDefault(() => ({ text: 'Standup in 10 minutes.' }));
    const task = (conversationId: string) =>
      rig.cairn.schedules.create({ conversationId, platform: 'telegram', identity: `telegram:${NIA}`, senderId: String(NIA), userName: 'Nia', isDirect: !conversationId.includes('-'), person: `telegram:${NIA}`, isAdmin: false }, { prompt: 'Remind the group of the standup.', cron: '50 8 * * *' }).id;
    const sentTo = (chatId: number) => rig.fake.sent.filter((body) => Number(body.chat_id) === chatId).map((body) => String(body.text));
    return { rig, timers, task, sentTo };
  }

  it('her group reminder stops when she left, and when she was banned the admins hear it was a ban', async () => {
    const { rig, timers, task, sentTo } = await telegramWorld();
    const id = task(`telegram:${GROUP}`);
    const own = task(`telegram:${NIA}`);
    const { runs } = runScheduledTasks(rig.cairn, timers);
    await morning(rig.cairn, timers, runs, 2);
    expect(scheduledRuns(rig.model)).toBe(2);

    rig.fake.chatMembers.set(`${GROUP}:${NIA}`, { status: 'left' });
    await morning(rig.cairn, timers, runs, 2);
    // Her own private chat's task still runs (nobody asked about it); the group's is paused.
    expect(scheduledRuns(rig.model)).toBe(3);
    await vi.waitFor(() => expect(rig.cairn.schedules.store.get(id)?.paused).toBe(true));
    expect(rig.cairn.schedules.store.get(own)?.paused).toBe(false);
    expect(rig.fake.callsTo('getChatMember').map((body) => Number(body.chat_id))).toEqual([GROUP, GROUP]);
    await vi.waitFor(() => expect(sentTo(-900)).toHaveLength(1));
    expect(sentTo(-900)[0]).toMatch(new RegExp(`#${id}.*Nia set it, and they are no longer in that Telegram group \\(they left, or were removed\\)`));

    // Banned meanwhile: the next start tries it again, and the admins hear it was a ban.
    rig.fake.chatMembers.set(`${GROUP}:${NIA}`, { status: 'kicked', until_date: 0 });
    rig.cairn.schedules.stop();
    const again = runScheduledTasks(rig.cairn, timers);
    await vi.waitFor(() => expect(again.runs.length).toBeGreaterThan(0));
    await Promise.all(again.runs);
    await vi.waitFor(() => expect(sentTo(-900)).toHaveLength(2));
    expect(sentTo(-900)[1]).toContain('they were banned from that Telegram group');
  });

  it('a restricted member still in the group keeps her task; restricted and gone, it is paused', async () => {
    const { rig, timers, task } = await telegramWorld();
    const id = task(`telegram:${GROUP}`);
    rig.fake.chatMembers.set(`${GROUP}:${NIA}`, { status: 'restricted', is_member: true });
    const { pass } = runScheduledTasks(rig.cairn, timers);
    await pass(DAY, 1);
    expect(scheduledRuns(rig.model)).toBe(1);
    // Restricted, then gone: `is_member: false`.
    rig.fake.chatMembers.set(`${GROUP}:${NIA}`, { status: 'restricted', is_member: false });
    await pass(DAY, 1);
    await vi.waitFor(() => expect(rig.cairn.schedules.store.get(id)?.paused).toBe(true));
    expect(scheduledRuns(rig.model)).toBe(1);
  });
});

describe('Bo leaves a Slack channel, his account still active', () => {
  it('his task in #builds stops where Cairn may list the channel’s members (channels:read; without it, it runs as before)', async () => {
    const model = await startFakeModelServer();
    const slack = await startFakeSlackApi({ scopes: ['app_mentions:read', 'chat:write', 'im:history', 'channels:history', 'users:read', 'channels:read'] });
    closers.push(() => slack.close(), () => model.close());
    const timers = new ManualTimers();
    const config = testConfig(model.url, {
      SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: 'fake-signing-secret-0123456789',
      SLACK_ALLOWED_USERS: 'U2', SLACK_ADMIN_USERS: 'U1', CAIRN_ADMIN_CHANNEL: 'slack:T1:CADMIN', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC',
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
    const bo = { platform: 'slack', identity: 'slack:T1:U2', senderId: 'U2', userName: 'Bo', isDirect: false, person: 'slack:T1:U2', isAdmin: false };
    const id = cairn.schedules.create({ ...bo, conversationId: 'slack:T1:CBUILDS' }, { prompt: 'Post the build status.', cron: '0 8 * * *' }).id;
    const { pass } = runScheduledTasks(cairn, timers);
    model.setDefault(() => ({ text: 'Build: green.' }));
    // A channel of 1,500: his id on the second page.
    slack.channelMembers.set('CBUILDS', [...Array.from({ length: 1500 }, (_, i) => `UX${i}`), 'U2']);
    await pass(DAY, 1);
    expect(scheduledRuns(model)).toBe(1);

    slack.channelMembers.set('CBUILDS', ['U1', 'U3']);
    await pass(DAY, 1);
    expect(scheduledRuns(model)).toBe(1);
    await vi.waitFor(() => expect(cairn.schedules.store.get(id)?.paused).toBe(true));
    const [notice] = await slack.waitForMessages(1, (post) => post.channel === 'CADMIN');
    expect(notice?.text).toMatch(new RegExp(`#${id}.*Bo set it, and they are no longer in that Slack channel \\(they left, or were removed\\)`));
  });
});

/**
 * A team whose people's chat apps are set to different languages, over the platforms' own settings.
 * Bia's Telegram is in Portuguese: the first thing she sends Cairn in a morning may be a photo with no
 * caption, a sticker's worth of "👍", a voice note; Ada's Slack is in Spanish (Spain), and in the team's
 * channel she often writes nothing but "@Cairn" under a thread her English-speaking colleagues started;
 * Mo's Discord is in Turkish, and his build status runs every morning in #general while he sleeps. Each
 * platform says so (Telegram's `language_code`, Slack's users.info `locale`, Discord's interaction
 * `locale`); they expect Cairn to answer them in their language where they gave no words to go by, and
 * in the language they write in otherwise. Before, nothing of it reached the model: every such answer
 * came in English.
 *
 * Layla asks in Arabic for a long answer that mentions Cairn by name: where Telegram's limit cuts a
 * line in two before "Cairn …", the second message began with a Latin word and her phone laid it out
 * left to right. And in the Telegram group 山田 and ليلى speak to Cairn: their names have no Latin
 * letters, so the model's `name` field could only carry `user_<id>`, and the model never learned what
 * their colleagues call them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import { startFakeModelServer } from '../fakes/model-server.js';
import { ADA as TG_ADA, useTelegramRig } from '../helpers/telegram-rig.js';
import { postEvent, setup, type Setup } from '../adapters/slack-lifecycle-harness.js';
import { APP_ID, CHANNEL_ID, GUILD_ID, askInteraction, startFakeDiscord } from '../fakes/discord-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { ManualTimers as AdapterTimers } from '../helpers/manual-timers.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { DiscordAdapter } from '../../adapters/discord/index.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const RLM = '\u200F';
const DAY = 86_400_000;
const START = 1_780_000_000;

type Message = { role: string; content: string; name?: string };
const messagesOf = (body: ChatBody | undefined) => (body?.messages ?? []) as Message[];
const systemOf = (body: ChatBody | undefined) => String(messagesOf(body)[0]?.content ?? '');
const lastUser = (body: ChatBody | undefined) => messagesOf(body).filter((message) => message.role === 'user').at(-1);
/** The model's requests for answers (not those condensing a conversation into notes). */
const answerRequests = (model: FakeModelServer) => model.chatRequests().filter((body) => !systemOf(body).startsWith('You maintain long-term memory'));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('Telegram', () => {
  const telegram = useTelegramRig();
  const BIA = { id: 42, is_bot: false, first_name: 'Bia', language_code: 'pt-br' };
  const DM = { id: 42, type: 'private', first_name: 'Bia' };

  it("Bia's app is in Portuguese: her conversation's prompt says so, for what she sends with no words (the prefix stays fixed for the session)", async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    model.setDefault(() => ({ text: 'Bom dia!' }));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: DM, from: BIA, text: '👍' } });
    await fake.waitForSent(1);
    const system = systemOf(answerRequests(model).at(-1));
    expect(system).toContain("Bia's Telegram app is set to Brazilian Portuguese (pt-BR).");
    expect(system).toContain('answer in Brazilian Portuguese');
    fake.pushUpdate({ message: { message_id: 2, date: START + 60, chat: DM, from: BIA, text: 'e agora?' } });
    await fake.waitForSent(2);
    // Byte-identical on the next request of the session: the provider's cache of the prefix holds.
    expect(systemOf(answerRequests(model).at(-1))).toBe(system);
  });

  it("an app in English adds nothing to the prompt", async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    model.setDefault(() => ({ text: 'Hi!' }));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: { id: TG_ADA.id, type: 'private', first_name: 'Ada' }, from: { ...TG_ADA, language_code: 'en' }, text: 'hi' } });
    await fake.waitForSent(1);
    expect(systemOf(answerRequests(model).at(-1))).not.toMatch(/## Language|app is set to/);
  });

  it("Layla's long Arabic answer: a message cut before \"Cairn …\" in the middle of a right-to-left line starts with a right-to-left mark; an English answer's messages are untouched", async () => {
    const LAYLA = { id: 42, is_bot: false, first_name: 'ليلى', language_code: 'ar' };
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    // One line: Arabic, then a stretch where the product names come one after another, where the cut falls.
    const arabic = 'يعمل الخادم الرئيسي الآن بشكل جيد بعد التحديث الأخير. '.repeat(62);
    const names = 'Cairn Slack Telegram Discord '.repeat(30);
    const answer = `${arabic}${names}${'والنتيجة جيدة. '.repeat(20)}`;
    model.setDefault(() => ({ text: answer }));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: { id: 42, type: 'private', first_name: 'ليلى' }, from: LAYLA, text: 'اشرح لي بالتفصيل' } });
    const sent = (await fake.waitForSent(2)).map((body) => String(body.text));
    expect(sent).toHaveLength(2);
    // The line starts in Arabic (right to left); the second message starts inside it, with a Latin word.
    expect(sent[1]?.replace(RLM, '')).toMatch(/^(?:Cairn|Slack|Telegram|Discord) /);
    expect(sent[1]?.startsWith(RLM)).toBe(true);
    expect(sent[0]?.startsWith(RLM)).toBe(false);

    model.setDefault(() => ({ text: 'The main server works again after the last update. '.repeat(100) }));
    fake.pushUpdate({ message: { message_id: 2, date: START + 60, chat: { id: 42, type: 'private', first_name: 'ليلى' }, from: LAYLA, text: 'and in English?' } });
    const english = (await fake.waitForSent(4)).slice(2).map((body) => String(body.text));
    expect(english.length).toBe(2);
    expect(english.some((part) => part.includes(RLM))).toBe(false);
  });

  it('山田 and ليلى in the group: the model reads their names as they write them, not only user_<id>', async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', TELEGRAM_ALLOWED_USERS: '42,77,78' } });
    model.setDefault(() => ({ text: 'ok' }));
    const group = { id: -1_001_234_567, type: 'supergroup', title: 'チーム' };
    const mention = [{ type: 'mention', offset: 0, length: 10 }];
    const yamada = { id: 77, is_bot: false, first_name: '山田', language_code: 'ja' };
    const layla = { id: 78, is_bot: false, first_name: 'ليلى', language_code: 'ar' };
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: group, from: yamada, text: '@cairn_bot 明日のデプロイは何時ですか?', entities: mention } });
    await fake.waitForSent(1);
    fake.pushUpdate({ message: { message_id: 2, date: START + 10, chat: group, from: layla, text: '@cairn_bot ماذا قال يامادا؟', entities: mention } });
    await fake.waitForSent(2);
    const users = messagesOf(answerRequests(model).at(-1)).filter((message) => message.role === 'user');
    // The name field still takes only [a-zA-Z0-9_-]: one per person, from their id.
    expect(users.map((message) => message.name)).toEqual(['user_77', 'user_78']);
    expect(users[0]?.content).toContain('山田');
    expect(users[1]?.content).toContain('ليلى');
  });
});

describe('Slack', () => {
  let world: Setup | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  let ts = 1_700_000_000;
  async function says(w: Setup, user: string, text: string, where: { channel: string; thread?: string }) {
    const before = w.slack.posts.length;
    const event = where.channel.startsWith('D')
      ? { type: 'message', channel: where.channel, channel_type: 'im', user, text, ts: `${++ts}.000100` }
      : { type: 'app_mention', channel: where.channel, user, text, ts: `${++ts}.000100`, ...(where.thread ? { thread_ts: where.thread } : {}) };
    await postEvent(w, event, `Ev${ts}`);
    await w.slack.waitForMessages(before + 1);
    await Promise.all(w.outcomes);
  }

  it("Ada's Slack is in Spanish (users.info with include_locale): her direct chat's prompt says so", async () => {
    const w = (world = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2', CAIRN_REFLECTION: 'off' }, beforeStart: (slack) => slack.locales.set('U1', 'es-ES') }));
    w.model.setDefault(() => ({ text: 'Hola' }));
    await says(w, 'U1', 'hola', { channel: 'D1' });
    expect(w.slack.callsTo('users.info').at(-1)?.body.include_locale).toBe('true');
    expect(systemOf(answerRequests(w.model).at(-1))).toContain("Ada's Slack app is set to European Spanish (es-ES).");
  });

  it('in the channel, "@Cairn" alone under an English thread is answered in the asker\'s language: Ada\'s Spanish, Bo\'s English', async () => {
    const w = (world = await setup({ env: { SLACK_ALLOWED_USERS: 'U1,U2', CAIRN_REFLECTION: 'off' }, beforeStart: (slack) => { slack.locales.set('U1', 'es-ES'); slack.locales.set('U2', 'en-US'); } }));
    w.model.setDefault(() => ({ text: 'ok' }));
    w.slack.addThreadMessage({ channel: 'C1', ts: '1699999999.000100', user: 'U2', text: 'The deploy failed again on the migration step, any idea?' });
    await says(w, 'U1', '<@UBOT>', { channel: 'C1', thread: '1699999999.000100' });
    const ada = lastUser(answerRequests(w.model).at(-1));
    expect(ada?.content).toContain("[Ada's Slack app is set to European Spanish (es-ES): answer in European Spanish unless their own words here are in another language.]");
    // The channel's prompt names no one's language: it is shared by everyone there, and stays cacheable.
    expect(systemOf(answerRequests(w.model).at(-1))).not.toContain('app is set to');
    await says(w, 'U2', '<@UBOT>', { channel: 'C1', thread: '1699999999.000100' });
    expect(lastUser(answerRequests(w.model).at(-1))?.content).not.toContain('app is set to');
    // Words of her own: nothing added, the model answers in the language she writes in.
    await says(w, 'U1', '<@UBOT> can you check the migration?', { channel: 'C1', thread: '1699999999.000100' });
    expect(lastUser(answerRequests(w.model).at(-1))?.content).not.toContain('app is set to');
  });
});

describe('Discord', () => {
  const MO = { id: '400000000000000007', username: 'mo', discriminator: '0', global_name: 'Mo', avatar: null };

  async function discordWorld(): Promise<{ cairn: TestCairn; model: FakeModelServer; timers: ManualTimers; dispatch(event: string, data: Record<string, unknown>): Promise<void> }> {
    const model = await startFakeModelServer();
    const discord = await startFakeDiscord();
    closers.push(() => discord.close(), () => model.close());
    const timers = new ManualTimers();
    const config = testConfig(model.url, {
      DISCORD_TOKEN: 'fake.discord.token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_ID: GUILD_ID, DISCORD_API_URL: discord.apiUrl,
      DISCORD_ALLOWED_USERS: MO.id, CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC',
    });
    const cairn = startTestCairn(config, { timers });
    const adapter = new DiscordAdapter({ config: cairn.config, http: new HttpServer(), logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new AdapterTimers().timer });
    cairn.gateway.attach(adapter);
    const handled: Promise<unknown>[] = [];
    await adapter.start((message) => {
      const done = cairn.gateway.receive(message);
      handled.push(done);
      return done;
    });
    closers.push(async () => {
      await adapter.stop();
      await cairn.close();
    });
    return {
      cairn,
      model,
      timers,
      async dispatch(event, data) {
        const before = handled.length;
        discord.dispatch(event, data);
        await vi.waitFor(() => expect(handled.length).toBe(before + 1));
        await Promise.all(handled);
      },
    };
  }

  it("Mo's Discord is in Turkish (his /ask says so): his morning build status, run with no words of his, is told to answer in Turkish", async () => {
    const w = await discordWorld();
    w.model.setDefault(() => ({ text: 'Tamam.' }));
    await w.dispatch('INTERACTION_CREATE', { ...askInteraction('800000000000000101', 'mo-token-1', 'build durumu nasıl?', MO), locale: 'tr' });
    // The task as schedule_task sets it from his request in #general.
    const requester = { conversationId: `discord:${GUILD_ID}:${CHANNEL_ID}`, platform: 'discord', identity: `discord:${MO.id}`, senderId: MO.id, userName: 'Mo', isDirect: false, person: `discord:${MO.id}`, isAdmin: false };
    w.cairn.schedules.create(requester, { prompt: 'Build durumunu paylaş.', cron: '0 8 * * *' });
    const { pass } = runScheduledTasks(w.cairn, w.timers);
    await pass(DAY, 1);
    const run = lastUser(answerRequests(w.model).at(-1));
    expect(run?.content).toMatch(/^\[Scheduled task #1/);
    expect(run?.content).toContain("[Mo's Discord app is set to Turkish (tr): answer in Turkish unless their own words here are in another language.]");
    // Kept in the database: Discord gives a locale only with interactions, and a run has none.
    expect(w.cairn.db.prepare('SELECT language FROM account_languages WHERE account = ?').get(`discord:${MO.id}`)).toEqual({ language: 'tr' });
  });
});

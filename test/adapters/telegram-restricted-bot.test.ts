/**
 * A group where an admin took away the bot's right to send (restricted it, or set the group's
 * permissions so members may not send messages): the Bot API answers 400 "Bad Request: not enough
 * rights to send text messages to the chat". As a bad request it was no refusal, so a repeating
 * task there ran the model at every run, forever, for answers nobody could see. It is a refusal
 * now, like a closed topic's; a refusal of photos only still sends the picture as a document.
 *
 * The real Telegram adapter, against the fake Bot API behind a proxy that answers as Telegram does.
 */
import { describe, expect, it } from 'vitest';
import { GrammyError } from 'grammy';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../backends/helpers.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { useTelegramRig, until } from '../helpers/telegram-rig.js';
import { mapTelegramError } from '../../adapters/telegram/errors.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const GROUP = -1_002_000_000_001;
const DAY = 24 * 60 * 60_000;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const telegram = useTelegramRig();
const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = (model: FakeModelServer) => model.chatRequests().filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;
const refuse = (description: string) => ({ status: 400, body: { ok: false, error_code: 400, description } });

describe('telegram: a group where the bot may not send', () => {
  it('is a refusal, not a bad request, in each of the words Telegram uses', () => {
    const apiError = (description: string) => new GrammyError('call failed', { ok: false, error_code: 400, description }, 'sendMessage', {});
    for (const description of [
      'Bad Request: not enough rights to send text messages to the chat',
      'Bad Request: have no rights to send a message',
      'Bad Request: need administrator rights in the channel chat',
      'Bad Request: CHAT_WRITE_FORBIDDEN',
    ]) {
      expect(mapTelegramError(apiError(description))).toMatchObject({ code: 'permission', status: 400, isRetryable: false });
    }
  });

  it('cancels a repeating task there after three runs whose answers Telegram refused', async () => {
    const refusal: { description?: string } = {};
    const timers = new ManualTimers();
    const { cairn, fake, model, outcomes } = await telegram.start({
      env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' },
      intercept: (method, path, body) =>
        refusal.description && method === 'POST' && /\/sendMessage$/.test(path) && (JSON.parse(body || '{}') as { chat_id?: number }).chat_id === GROUP ? refuse(refusal.description) : undefined,
      cairn: { timers },
    });
    const scheduled = runScheduledTasks(cairn, timers);
    model.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup summary.', cron: '0 9 * * *' } }] }, { text: 'Scheduled: every day at 09:00.' });
    fake.pushUpdate({ message: { message_id: 1, date: 1_700_000_000, chat: { id: GROUP, type: 'supergroup', title: 'Team' }, from: USER, text: '@cairn_bot every day at 9 post the standup summary', entities: [{ type: 'mention', offset: 0, length: 10 }] } });
    await until(() => outcomes.length === 1);
    expect(cairn.schedules.store.get(1)?.status).toBe('active');

    refusal.description = 'Bad Request: not enough rights to send text messages to the chat';
    model.setDefault(() => ({ text: 'Standup summary: ...' }));
    await scheduled.pass(DAY, 5, 1);
    expect({ status: cairn.schedules.store.get(1)?.status, modelRuns: scheduledRuns(model) }).toEqual({ status: 'cancelled', modelRuns: 3 });
  });

  it('sends a picture as a document where only photos are not allowed', async () => {
    const sentDocument = { ok: true, result: { message_id: 5, date: 1, chat: { id: GROUP, type: 'supergroup' }, document: { file_id: 'd', file_unique_id: 'd' } } };
    const { adapter, proxy } = await telegram.start({
      intercept: (method, path) => {
        if (method === 'POST' && /\/sendPhoto$/.test(path)) return refuse('Bad Request: not enough rights to send photos to the chat');
        return method === 'POST' && /\/sendDocument$/.test(path) ? { status: 200, body: sentDocument } : undefined;
      },
    });
    await adapter.send(`telegram:${GROUP}`, { text: 'The chart.', files: [{ name: 'chart.png', bytes: PNG }] });
    const uploads = proxy?.seen.filter((request) => /\/send(Photo|Document)$/.test(request.path)) ?? [];
    expect(uploads.map((request) => request.path.split('/').at(-1))).toEqual(['sendPhoto', 'sendDocument']);
    expect(uploads[1]?.body).toContain('chart.png');
  });
});

/**
 * A repeating task set in a Telegram forum topic (or a group) that was deleted since: the Bot API
 * answers every send there with 400 "Bad Request: message thread not found" (a deleted topic) or
 * "Bad Request: chat not found" (a deleted group). The adapter mapped any 400 to `bad_request`, and
 * the gateway counts only `permission` and `not_found` as refusals, so the task was never
 * cancelled: it ran the model at every run, forever, for answers nobody could see. A closed topic
 * ("TOPIC_CLOSED", which only its admins may post in until it is reopened) is refused like a 403.
 *
 * The real Telegram adapter, against the fake Bot API behind a proxy that answers as Telegram does.
 */
import { describe, expect, it } from 'vitest';
import { GrammyError } from 'grammy';
import type { ChatBody, FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../backends/helpers.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { useTelegramRig, until } from '../helpers/telegram-rig.js';
import { isMarkupRejection, mapTelegramError } from '../../adapters/telegram/errors.js';

const USER = { id: 42, is_bot: false, first_name: 'Ada', username: 'ada' };
const GROUP = -1_002_000_000_001;
const DAY = 24 * 60 * 60_000;

const telegram = useTelegramRig();
let model: FakeModelServer | undefined;
let messageId = 1;

const userTexts = (body: ChatBody) => (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
const scheduledRuns = () => (model?.chatRequests() ?? []).filter((body) => userTexts(body).at(-1)?.startsWith('[Scheduled task')).length;

/** Cairn with the Telegram adapter; once `gone.answer` is set, every sendMessage to the group is answered with it (400). */
async function startBot(gone: { answer?: string }) {
  const timers = new ManualTimers();
  const started = await telegram.start({
    env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' },
    intercept: (method, path, body) =>
      gone.answer && method === 'POST' && /\/sendMessage$/.test(path) && (JSON.parse(body || '{}') as { chat_id?: number }).chat_id === GROUP
        ? { status: 400, body: { ok: false, error_code: 400, description: gone.answer } }
        : undefined,
    cairn: { timers },
    adapter: { now: () => 1_700_000_000_000 },
  });
  model = started.model;
  return { cairn: started.cairn, fake: started.fake, model, outcomes: started.outcomes, scheduled: runScheduledTasks(started.cairn, timers) };
}

describe('telegram: a repeating task whose topic or group was deleted', () => {
  for (const [where, answer, topic] of [
    ['a deleted forum topic', 'Bad Request: message thread not found', 7],
    ['a deleted group', 'Bad Request: chat not found', undefined],
    ['a closed forum topic', 'Bad Request: TOPIC_CLOSED', 7],
  ] as const) {
    it(`is cancelled after three runs whose answers Telegram refused, in ${where} (400 "${answer}")`, async () => {
      const gone: { answer?: string } = {};
      const { cairn, fake, model, outcomes, scheduled } = await startBot(gone);
      const text = '@cairn_bot every day at 9 post the standup summary';
      model.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Post the standup summary.', cron: '0 9 * * *' } }] }, { text: 'Scheduled: every day at 09:00.' });
      fake.pushUpdate({
        message: {
          message_id: messageId++,
          date: 1_700_000_000,
          chat: { id: GROUP, type: 'supergroup', title: 'Team', ...(topic ? { is_forum: true } : {}) },
          ...(topic ? { is_topic_message: true, message_thread_id: topic } : {}),
          from: USER,
          text,
          entities: [{ type: 'mention', offset: 0, length: 10 }],
        },
      });
      await until(() => outcomes.length === 1);
      expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', conversationId: topic ? `telegram:${GROUP}:topic-${topic}` : `telegram:${GROUP}` });

      // The topic (the group) is deleted. Five days pass.
      gone.answer = answer;
      model.setDefault(() => ({ text: 'Standup summary: ...' }));
      await scheduled.pass(DAY, 5, 1);
      // As after a 403 (the bot kicked): three runs whose answers went nowhere, then the task stops.
      expect({ status: cairn.schedules.store.get(1)?.status, modelRuns: scheduledRuns() }).toEqual({ status: 'cancelled', modelRuns: 3 });
    });
  }
});

describe('telegram: 400s that say a chat or topic is gone', () => {
  const apiError = (description: string) => new GrammyError('call failed', { ok: false, error_code: 400, description }, 'sendMessage', {});

  it('are not found (a deleted group or topic) or refused (a closed topic); other 400s stay bad requests', () => {
    expect(mapTelegramError(apiError('Bad Request: message thread not found'))).toMatchObject({ code: 'not_found', status: 400, isRetryable: false });
    expect(mapTelegramError(apiError('Bad Request: chat not found'))).toMatchObject({ code: 'not_found', status: 400 });
    expect(mapTelegramError(apiError('Bad Request: TOPIC_DELETED'))).toMatchObject({ code: 'not_found', status: 400 });
    expect(mapTelegramError(apiError('Bad Request: TOPIC_CLOSED'))).toMatchObject({ code: 'permission', status: 400 });
    // A reply to a deleted message, or a photo Telegram cannot take (sent again as a document), is no refusal of the chat.
    expect(mapTelegramError(apiError('Bad Request: message to be replied not found'))).toMatchObject({ code: 'bad_request' });
    expect(mapTelegramError(apiError('Bad Request: PHOTO_INVALID_DIMENSIONS'))).toMatchObject({ code: 'bad_request' });
    expect(isMarkupRejection(mapTelegramError(apiError("Bad Request: can't parse entities: unsupported start tag \"x\"")))).toBe(true);
  });
});

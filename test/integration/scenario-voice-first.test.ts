/**
 * People who talk to Cairn rather than type. Lucía speaks Spanish to it on Telegram, in voice notes
 * and round video notes; Ada holds the microphone in Discord's mobile app (a voice message: an
 * audio/ogg attachment, flagged IS_VOICE_MESSAGE, with its duration and waveform); Kim records
 * audio clips in Slack (slack_audio files, audio/webm from the desktop, audio/mp4 from a phone).
 *
 * Over days: before the operator sets a transcription model, a voice note is answered with what
 * is missing and who sets it (it was "tell me in words", as if Cairn could never listen); once it is
 * set, a Spanish voice note reaches the model in Spanish, is in the history for the typed
 * follow-up, and a round video note is heard too (it was "I can't open a video message"). The
 * speech-to-text endpoint goes down: Lucía hears that it is not answering and that her recording
 * is still there to reply to (it was "Please send it as text"), and replying to it later works. A
 * 40-minute meeting recording is over what speech-to-text takes: one piece of advice, not two that
 * disagree. In groups a voice message nobody addressed to Cairn is not transcribed or charged; one
 * that replies to it, or that Ada asks about, is, and charged to whoever asked. In Slack a clip
 * reads as the person speaking (it was "an audio file"), and one from a phone is uploaded under a
 * name that says its format.
 *
 * Real Cairn, the real adapters (grammY, discord.js, Bolt), real SQLite; the fake Bot API, Discord,
 * Slack and model server (with its /audio/transcriptions) on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADA as TG_ADA, until, useTelegramRig } from '../helpers/telegram-rig.js';
import { BOB, USER, guildMessage, useDiscordRigs } from '../helpers/discord-rig.js';
import { BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, messagePayload } from '../fakes/discord-api.js';
import { BOT as TG_BOT } from '../fakes/telegram-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { SlackEventSender, startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';

const LUCIA = TG_ADA;
const CHAT = { id: LUCIA.id, type: 'private', first_name: 'Ada', username: 'ada' };
const GROUP = { id: -1_001_234_567, type: 'supergroup', title: 'Coro' };
const PABLO = { id: 77, is_bot: false, first_name: 'Pablo' };
const START = 1_780_000_000;
const DAY = 86_400;

const voiceNote = (fileId: string, extra: Record<string, unknown> = {}) => ({ voice: { file_id: fileId, duration: 6, mime_type: 'audio/ogg', file_size: 4, ...extra } });
const roundVideo = (fileId: string) => ({ video_note: { file_id: fileId, file_unique_id: `u-${fileId}`, length: 240, duration: 12, file_size: 3 } });

function transcriptions(cairn: TestCairn): { user_key: string; ok: number; tokens: number }[] {
  return cairn.db.prepare<[], { user_key: string; ok: number; tokens: number }>("SELECT user_key, ok, prompt_tokens + completion_tokens AS tokens FROM model_calls WHERE purpose = 'transcription' ORDER BY id").all();
}

describe('voice-first people on Telegram', () => {
  const telegram = useTelegramRig();

  it('before a transcription model is set, a voice note is told what is missing and who sets it', async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    fake.addFile('v1', Buffer.from('OggS'));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: CHAT, from: LUCIA, ...voiceNote('v1') } });
    const [said] = await fake.waitForSent(1);
    expect(said?.text).toBe(
      "I can't open a voice message: listening to recordings needs a speech-to-text model, which whoever runs Cairn has not set (CAIRN_TRANSCRIBE_MODEL). I read messages, text files, PDFs and Office files (Word, Excel, PowerPoint, OpenDocument): tell me in words what you need, or paste the text.",
    );
    // A round video note is a recording of the person speaking too.
    fake.addFile('r1', Buffer.from('ftypmp42'));
    fake.pushUpdate({ message: { message_id: 2, date: START, chat: CHAT, from: LUCIA, ...roundVideo('r1') } });
    expect((await fake.waitForSent(2))[1]?.text).toMatch(/^I can't open a video message: listening to recordings needs a speech-to-text model, which whoever runs Cairn has not set \(CAIRN_TRANSCRIBE_MODEL\)\./);
    expect(model.chatRequests()).toHaveLength(0);
  });

  it('hears Spanish voice notes and round video notes, keeps them for the typed follow-up, and charges the speaker', async () => {
    const { fake, model, cairn } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_TRANSCRIBE_MODEL: 'gpt-4o-transcribe' } });
    const usage = { type: 'tokens' as const, input_tokens: 90, output_tokens: 30, total_tokens: 120 };
    // Day 1: a voice note in Spanish, answered in Spanish.
    fake.addFile('v1', Buffer.from('OggS'));
    model.enqueueTranscription({ text: '¿Qué ensayos tenemos esta semana? El martes no puedo.', usage });
    model.enqueue({ text: 'Tienes ensayo el jueves a las 19:00.' });
    fake.pushUpdate({ message: { message_id: 1, date: START + DAY, chat: CHAT, from: LUCIA, ...voiceNote('v1') } });
    expect((await fake.waitForSent(1))[0]?.text).toBe('Tienes ensayo el jueves a las 19:00.');
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('[voice message, transcribed] ¿Qué ensayos tenemos esta semana? El martes no puedo.');
    expect(model.transcriptionRequests()).toEqual([{ model: 'gpt-4o-transcribe', fileName: 'voice.ogg' }]);

    // Day 2: a typed follow-up; what she said is in the history the model reads.
    model.enqueue({ text: 'Sí, a las 19:00.' });
    fake.pushUpdate({ message: { message_id: 2, date: START + 2 * DAY, chat: CHAT, from: LUCIA, text: '¿y el jueves a qué hora?' } });
    await fake.waitForSent(2);
    const history = JSON.stringify(model.chatRequests()[1]?.messages);
    expect(history).toContain('El martes no puedo.');

    // Day 3: a round video note (an MP4) is heard, uploaded under a name that says its format.
    fake.addFile('r1', Buffer.from('ftypmp42'));
    model.enqueueTranscription({ text: 'Mira, te enseño la partitura nueva.', usage });
    fake.pushUpdate({ message: { message_id: 3, date: START + 3 * DAY, chat: CHAT, from: LUCIA, ...roundVideo('r1') } });
    await fake.waitForSent(3);
    expect(model.chatRequests()[2]?.messages.at(-1).content).toBe('[video message, transcribed] Mira, te enseño la partitura nueva.');
    expect(model.transcriptionRequests().at(-1)?.fileName).toBe('video-message.mp4');

    // Each transcription is in the ledger under Lucía, with the tokens the endpoint reported: it counts toward her allowance.
    expect(transcriptions(cairn)).toEqual([
      { user_key: 'telegram:42', ok: 1, tokens: 120 },
      { user_key: 'telegram:42', ok: 1, tokens: 120 },
    ]);
  });

  it('speech-to-text down: she hears it is not answering and that her recording is still there; replying to it later works', async () => {
    const { fake, model, cairn } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_TRANSCRIBE_MODEL: 'whisper-1' } });
    fake.addFile('v1', Buffer.from('OggS'));
    const note = { message_id: 1, date: START, chat: CHAT, from: LUCIA, ...voiceNote('v1') };
    // Every try (the first and two retries) answered 503.
    model.enqueueTranscription({ error: { status: 503, message: 'overloaded' } }, { error: { status: 503, message: 'overloaded' } }, { error: { status: 503, message: 'overloaded' } });
    fake.pushUpdate({ message: note });
    const [told] = await fake.waitForSent(1);
    expect(told?.text).toMatch(/^I couldn't make out your voice message: speech-to-text is not answering right now \(.*503.*\)\. Your recording is still in the chat: in a few minutes, reply to it \(or send it again\) and I'll try once more\.$/);
    expect(told?.text).not.toContain('send it as text');
    expect(model.chatRequests()).toHaveLength(0);

    // Later the endpoint is back; a reply to the voice note has it heard.
    model.enqueueTranscription({ text: 'Apúntame para el jueves.' });
    model.enqueue({ text: 'Apuntada.' });
    fake.pushUpdate({ message: { message_id: 2, date: START + 600, chat: CHAT, from: LUCIA, text: 'otra vez', reply_to_message: note } });
    expect((await fake.waitForSent(2))[1]?.text).toBe('Apuntada.');
    expect(model.chatRequests()[0]?.messages.at(-1).content).toBe('otra vez\n\n[voice message in the message replied to, transcribed] Apúntame para el jueves.');
    expect(transcriptions(cairn).map((row) => row.ok)).toEqual([0, 1]);
  });

  it('a 40-minute meeting recording over what speech-to-text takes gets one piece of advice, and is not downloaded', async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_TRANSCRIBE_MODEL: 'whisper-1' } });
    fake.addFile('big', Buffer.from('ID3'));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: CHAT, from: LUCIA, audio: { file_id: 'big', duration: 2_400, mime_type: 'audio/mpeg', file_name: 'reunion.mp3', file_size: 30_000_000 } } });
    const [told] = await fake.waitForSent(1);
    expect(told?.text).toBe("I couldn't make out your audio file: it is 28.6 MB, over the 25 MB speech-to-text takes. Send it in shorter parts (each under 25 MB), or the part that matters as text.");
    expect(model.transcriptionRequests()).toHaveLength(0);
    expect(fake.callsTo('getFile')).toHaveLength(0);
  });

  it('in a group, a voice note nobody addressed to Cairn is not heard or charged; one replying to Cairn is', async () => {
    const { fake, model, cairn, inbound } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_TRANSCRIBE_MODEL: 'whisper-1', TELEGRAM_ALLOWED_USERS: `${LUCIA.id},${PABLO.id}` } });
    fake.addFile('p1', Buffer.from('OggS'));
    fake.pushUpdate({ message: { message_id: 1, date: START, chat: GROUP, from: PABLO, ...voiceNote('p1') } });
    await until(() => inbound.length === 1);
    // Lucía asks Cairn; then answers its reply with a voice note.
    model.enqueue({ text: '¿Qué necesitas?' });
    fake.pushUpdate({ message: { message_id: 2, date: START + 10, chat: GROUP, from: LUCIA, text: '@cairn_bot hola', entities: [{ type: 'mention', offset: 0, length: 10 }] } });
    const [answer] = await fake.waitForSent(1);
    fake.addFile('l1', Buffer.from('OggS'));
    model.enqueueTranscription({ text: 'Las partituras del jueves.' });
    fake.pushUpdate({ message: { message_id: 3, date: START + 20, chat: GROUP, from: LUCIA, ...voiceNote('l1'), reply_to_message: { message_id: Number(answer?.message_id), date: START + 11, chat: GROUP, from: TG_BOT, text: '¿Qué necesitas?' } } });
    await fake.waitForSent(2);
    expect(model.chatRequests().at(-1)?.messages.at(-1).content).toMatch(/\[voice message, transcribed\] Las partituras del jueves\.$/);
    expect(model.transcriptionRequests()).toHaveLength(1);
    expect(fake.callsTo('getFile').map((call) => call.file_id)).toEqual(['l1']);
    expect(transcriptions(cairn).map((row) => row.user_key)).toEqual(['telegram:42']);
  });
});

describe('voice-first people on Discord', () => {
  const startRig = useDiscordRigs();
  const voiceAttachment = (url: string, id: string) => ({ id, filename: 'voice-message.ogg', size: 10, url, proxy_url: url, content_type: 'audio/ogg', duration_secs: 7.4, waveform: 'AAAAAA==' });
  const IS_VOICE_MESSAGE = 1 << 13;

  it("a voice message in a channel is heard only when Cairn is asked about it, and charged to whoever asked", async () => {
    const rig = await startRig({ CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
    const url = rig.fake.addFile('voice-message.ogg', Buffer.from('OggS voice'));
    // Bob talks to the channel, not to Cairn.
    const bobs = guildMessage('610000000000000001', CHANNEL_ID, BOB, '', { attachments: [voiceAttachment(url, '700000000000000001')], flags: IS_VOICE_MESSAGE });
    rig.fake.dispatch('MESSAGE_CREATE', bobs);
    await rig.settled(1);
    expect(rig.model.transcriptionRequests()).toHaveLength(0);
    // Ada asks about it in reply.
    rig.model.enqueueTranscription({ text: 'The gig moved to Saturday.' });
    rig.fake.dispatch('MESSAGE_CREATE', guildMessage('610000000000000002', CHANNEL_ID, USER, `<@${BOT_USER.id}> what did he say?`, { mentions: [BOT_USER], message_reference: { message_id: '610000000000000001', channel_id: CHANNEL_ID }, referenced_message: bobs }));
    await rig.settled(2);
    expect(rig.lastAsked()).toContain('[voice message in the message replied to, transcribed] The gig moved to Saturday.');
    expect(transcriptions(rig.cairn).map((row) => row.user_key)).toEqual([`discord:${USER.id}`]);
  });

  it('without a transcription model, a held-to-record DM says what whoever runs Cairn sets', async () => {
    const rig = await startRig();
    const url = rig.fake.addFile('voice-message.ogg', Buffer.from('OggS voice'));
    rig.fake.dispatch('MESSAGE_CREATE', { ...messagePayload('610000000000000003', DM_CHANNEL_ID, USER, '', { attachments: [voiceAttachment(url, '700000000000000002')], flags: IS_VOICE_MESSAGE }), channel_type: 1 });
    const [said] = await rig.fake.waitForSent(1);
    expect(said?.content).toContain('needs a speech-to-text model, which whoever runs Cairn has not set (CAIRN_TRANSCRIBE_MODEL)');
  });
});

describe('voice-first people on Slack', () => {
  let world: { slack: FakeSlackApi; model: FakeModelServer; events: SlackEventSender; close(): Promise<void> } | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function start(): Promise<NonNullable<typeof world>> {
    const model = await startFakeModelServer();
    const slack = await startFakeSlackApi();
    const cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: 'fake-signing-secret-0123456789', SLACK_ALLOWED_USERS: 'U1', CAIRN_TRANSCRIBE_MODEL: 'whisper-1' }));
    const http = new HttpServer();
    const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
    cairn.gateway.attach(adapter);
    const port = await http.listen(0, '127.0.0.1');
    await adapter.start((message) => cairn.gateway.receive(message));
    const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, 'fake-signing-secret-0123456789', slack);
    const close = async () => {
      await adapter.stop();
      await http.close();
      await slack.close();
      await cairn.close();
      await model.close();
    };
    return (world = { slack, model, events, close });
  }

  it("an audio clip reads as the person speaking, and a phone's clip is uploaded under a name that says its format", async () => {
    const { slack, model, events } = await start();
    const desk = slack.addFile('audio_message.webm', Buffer.from('webm audio'));
    model.enqueueTranscription({ text: 'Move my 3pm to Friday.' });
    await events.message({ text: '', channel: 'D1', channelType: 'im', subtype: 'file_share', files: [{ id: 'F1', name: 'audio_message.webm', mimetype: 'audio/webm', filetype: 'webm', subtype: 'slack_audio', size: 10, url_private_download: desk }] });
    await slack.waitForMessages(1);
    expect(String(model.chatRequests()[0]?.messages.at(-1).content)).toBe('[audio clip, transcribed] Move my 3pm to Friday.');
    // From the phone: audio/mp4, under a title that names no format.
    const phone = slack.addFile('clip-2', Buffer.from('ftypM4A'));
    model.enqueueTranscription({ text: 'And cancel the 4pm.' });
    await events.message({ text: '', channel: 'D1', channelType: 'im', subtype: 'file_share', files: [{ id: 'F2', name: 'Clip 2026.05.01', mimetype: 'audio/mp4', filetype: 'mp4', subtype: 'slack_audio', size: 7, url_private_download: phone }] });
    await slack.waitForMessages(2);
    expect(model.transcriptionRequests().map((request) => request.fileName)).toEqual(['audio_message.webm', 'audio.m4a']);
  });
});

/**
 * A person who uses Cairn from Telegram on their phone for everything. Over a month they share a
 * WhatsApp voice note and an unnamed M4A recording (uploaded under names the transcription
 * endpoint takes), their location before asking for a pharmacy, a contact card, a forwarded poll
 * and a rolled die (read as words, not "I can't open a location"); they fix a typo after sending
 * (the corrected wording is answered; the first reaction on a message, which Telegram sends as an
 * edit that changed nothing, and a live location moving are not), fix a photo's caption (the photo
 * is not read again), and write again while an answer is on its way (that answer quotes the
 * question it answers; a long text the app split in two does not quote its first part). In a group
 * they forget the mention and add it by editing, and ask about a place a colleague shared.
 *
 * Real Cairn, real grammY, real SQLite; the fake Bot API and model server on loopback.
 */
import { describe, expect, it } from 'vitest';
import { ADA, until, useTelegramRig } from '../helpers/telegram-rig.js';

const CHAT = { id: ADA.id, type: 'private', first_name: 'Ada', username: 'ada' };
const GROUP = { id: -1_001_234_567, type: 'supergroup', title: 'Hiking club' };
const BOB = { id: 77, is_bot: false, first_name: 'Bob' };
const DAY = 86_400;
const START = 1_780_000_000;

describe('a month of Cairn on a phone, through Telegram', () => {
  const telegram = useTelegramRig();

  it('reads what a phone shares, follows corrections, and answers where it is clear which question it answers', async () => {
    const { fake, model, timers, inbound } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false', CAIRN_TRANSCRIBE_MODEL: 'whisper-1', CAIRN_VISION_MODEL: 'gpt-4o-mini' } });
    let id = 100;
    const send = (day: number, content: Record<string, unknown>, chat: object = CHAT, from: object = ADA) => {
      const message = { message_id: ++id, date: START + day * DAY, chat, from, ...content };
      fake.pushUpdate({ message });
      return message;
    };
    const edit = (message: Record<string, unknown>, at: number, content: Record<string, unknown>) => {
      const { text: _text, caption: _caption, ...rest } = message;
      fake.pushUpdate({ edited_message: { ...rest, edit_date: at, ...content } });
    };
    const asked = () => model.chatRequests().filter((request) => request.model !== 'gpt-4o-mini');
    const lastAsked = () => String(asked().at(-1)?.messages.at(-1).content);
    let sent = 0;
    const nextReply = async () => (await fake.waitForSent(++sent)).at(-1);

    // Day 1: a WhatsApp voice note shared on (Opus in Ogg, named .opus, a name OpenAI refuses) and an unnamed M4A.
    fake.addFile('wa', Buffer.from('OggS'));
    fake.addFile('m4a', Buffer.from('ftypM4A'));
    model.enqueueTranscription({ text: 'Remind me what the plumber said.' }, { text: 'Notes from the standup.' });
    send(1, { document: { file_id: 'wa', file_name: 'PTT-20261201-WA0003.opus', mime_type: 'audio/ogg', file_size: 4 } });
    await nextReply();
    send(1, { audio: { file_id: 'm4a', duration: 60, mime_type: 'audio/x-m4a', file_size: 7 } });
    await nextReply();
    expect(model.transcriptionRequests().map((request) => request.fileName)).toEqual(['PTT-20261201-WA0003.ogg', 'audio.m4a']);

    // Day 3: their location, then the question; a contact card; a poll forwarded from a group; a die.
    send(3, { location: { latitude: 52.520008, longitude: 13.404954 } });
    await nextReply();
    expect(lastAsked()).toBe('[a location: 52.520008, 13.404954]');
    send(3, { contact: { phone_number: '+49 30 1234567', first_name: 'Bob', last_name: 'Builder', user_id: 77 } });
    await nextReply();
    expect(lastAsked()).toBe('[a contact: Bob Builder, +49 30 1234567]');
    const poll = { id: 'p1', question: 'Which trail?', options: [{ text: 'Ridge', voter_count: 2 }, { text: 'Lake', voter_count: 1 }], total_voter_count: 3, is_closed: false, is_anonymous: true, type: 'regular', allows_multiple_answers: false };
    send(3, { poll, forward_origin: { type: 'chat', date: START, sender_chat: { id: -5, type: 'group', title: 'Hiking club' } } });
    await nextReply();
    expect(lastAsked()).toBe('[a poll: "Which trail?", options: "Ridge", "Lake"]');
    send(3, { dice: { emoji: '🎲', value: 6 } });
    await nextReply();
    expect(lastAsked()).toBe('[a 🎲 rolled, showing 6]');

    // Day 8: a typo fixed after sending. The corrected wording is answered, and quoted: it stands above that answer.
    const typo = send(8, { text: 'how many km is the Ridge trial?' });
    await nextReply();
    edit(typo, START + 8 * DAY + 20, { text: 'how many km is the Ridge trail?' });
    const corrected = await nextReply();
    expect(lastAsked()).toBe('[The sender edited a message they sent earlier, which read: "how many km is the Ridge trial?"; it now reads:]\nhow many km is the Ridge trail?');
    expect(corrected?.reply_parameters).toMatchObject({ message_id: typo.message_id });
    // The first reaction on it comes as an edit that changed nothing; a live location moving is an edit too.
    edit(typo, START + 8 * DAY + 20, { text: 'how many km is the Ridge trail?' });
    const live = send(8, { location: { latitude: 52.5, longitude: 13.4, live_period: 900 } });
    await nextReply();
    edit(live, START + 8 * DAY + 60, { location: { latitude: 52.51, longitude: 13.41, live_period: 900 } });

    // Day 12: a photo whose caption they fix: the corrected caption is answered, the photo not described again.
    fake.addFile('shot', Buffer.from('JPEG'));
    model.enqueue({ text: 'A screenshot of an app showing "Error 503".' });
    const sizes = [{ file_id: 'shot', file_unique_id: 's', width: 10, height: 10, file_size: 4 }];
    const photo = send(12, { caption: 'waht does this error mean?', photo: sizes });
    await nextReply();
    edit(photo, START + 12 * DAY + 30, { caption: 'what does this error mean?', photo: sizes });
    await nextReply();
    expect(lastAsked()).toMatch(/it now reads:\]\nwhat does this error mean\?$/);
    expect(fake.callsTo('getFile')).toHaveLength(3);
    expect(model.chatRequests().filter((request) => request.model === 'gpt-4o-mini')).toHaveLength(1);

    // Day 20: they write again while the answer is on its way: that answer quotes the question it answers.
    let release!: () => void;
    model.enqueue({ after: new Promise((resolve) => (release = () => resolve(undefined))), then: { text: 'About 14 km.' } });
    const question = send(20, { text: 'and the Lake trail?' });
    await until(() => asked().length === 12);
    send(20, { text: 'also, is it open in winter?' });
    await until(() => inbound.length === 13);
    release();
    const late = await nextReply();
    expect(late?.text).toBe('About 14 km.');
    expect(late?.reply_parameters).toMatchObject({ message_id: question.message_id });
    // The latest question's answer comes right below it.
    expect((await nextReply())?.reply_parameters).toBeUndefined();

    // A pasted text the app split in two is answered below it, without quoting its first part.
    model.enqueue({ text: 'Got the whole log.' });
    send(21, { text: 'log '.repeat(1_000) });
    await timers.next(1_500);
    send(21, { text: 'tail '.repeat(1_000) });
    (await timers.next(1_500)).fire();
    const whole = await nextReply();
    expect(whole?.text).toBe('Got the whole log.');
    expect(whole?.reply_parameters).toBeUndefined();

    // Day 25, in the hiking group: the mention forgotten, then added by editing; the answer quotes that message.
    const forgot = send(25, { text: 'cairn, how long to the summit?' }, GROUP);
    await until(() => inbound.length === 15);
    edit(forgot, START + 25 * DAY + 15, { text: '@cairn_bot how long to the summit?', entities: [{ type: 'mention', offset: 0, length: 10 }] });
    const inGroup = await nextReply();
    expect(inGroup?.reply_parameters).toMatchObject({ message_id: forgot.message_id });
    // Bob shares a place; Ada asks about it in reply.
    const place = send(25, { location: { latitude: 47.42, longitude: 10.98 }, venue: { location: { latitude: 47.42, longitude: 10.98 }, title: 'Zugspitze', address: 'Grainau' } }, GROUP, BOB);
    send(25, { text: '@cairn_bot how high is it?', entities: [{ type: 'mention', offset: 0, length: 10 }], reply_to_message: place }, GROUP);
    await nextReply();
    expect(lastAsked()).toBe('[In reply to a message by Bob: "[a place: Zugspitze, Grainau (47.42, 10.98)]"]\nhow high is it?');

    // Nothing else reached the model: not the edit that changed nothing, not the live location moving.
    expect(asked()).toHaveLength(16);
  });
});

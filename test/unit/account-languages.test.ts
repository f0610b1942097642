/**
 * The language each account's chat app is set to (src/languages): what a platform's tag becomes, what is
 * remembered, and when the model is told of it (a direct chat's prefix; a group message with no words of
 * its sender's). And a group speaker whose name the model's `name` field cannot hold (src/core/group-speaker.ts).
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { AccountLanguages, languageName, languageTag } from '../../src/languages/index.js';
import { languageSection, withLanguageNote } from '../../src/languages/prompt.js';
import { speakerName, withSpeakerShown } from '../../src/core/group-speaker.js';
import type { InboundMessage } from '../../src/core/message.js';
import type { PrefixContext } from '../../src/core/prompt.js';

const message = (extra: Partial<InboundMessage> = {}): InboundMessage => ({
  platform: 'telegram',
  conversationId: 'telegram:-100',
  userId: 'telegram:42',
  senderId: '42',
  userName: 'Bia',
  text: '',
  isDirect: false,
  isSelf: false,
  messageId: '1',
  receivedAt: new Date(0),
  ...extra,
});

describe('a platform language tag', () => {
  it('is made canonical (Telegram sends pt-br, some clients pt_BR); nonsense, und and absurd lengths are none', () => {
    expect(languageTag('pt-br')).toBe('pt-BR');
    expect(languageTag('pt_BR')).toBe('pt-BR');
    expect(languageTag(' zh-hans ')).toBe('zh-Hans');
    expect(languageTag('tr')).toBe('tr');
    for (const given of [undefined, '', '  ', 'und', 'not a tag', '-', 'x'.repeat(40)]) expect(languageTag(given)).toBeUndefined();
  });

  it('is named in English for the prompt; English and a tag Intl has no name for are not named', () => {
    expect(languageName('pt-BR')).toBe('Brazilian Portuguese');
    expect(languageName('ar')).toBe('Arabic');
    expect(languageName('es-419')).toBe('Latin American Spanish');
    for (const tag of ['en', 'en-US', 'en-GB', 'xx', 'qaa']) expect(languageName(tag)).toBeUndefined();
  });
});

describe("an account's language", () => {
  it('is remembered by account when a platform gives it, changed when the app is, and found for a message that carries none', () => {
    let now = 1_000;
    const db = openDatabase(':memory:');
    const languages = new AccountLanguages(db, () => now);
    expect(languages.forMessage({ userId: 'discord:7' })).toBeUndefined();
    expect(languages.forMessage({ userId: 'discord:7', language: 'tr' })).toBe('tr');
    // A plain Discord message carries none: the interaction's is kept.
    expect(languages.forMessage({ userId: 'discord:7' })).toBe('tr');
    now = 2_000;
    expect(languages.forMessage({ userId: 'discord:7', language: 'pt-BR' })).toBe('pt-BR');
    expect(db.prepare('SELECT language, updated_at FROM account_languages').all()).toEqual([{ language: 'pt-BR', updated_at: 2_000 }]);
    // Linked accounts keep their own: the person key in userId, the account in identity.
    expect(languages.forMessage({ userId: 'discord:7', identity: 'telegram:42', language: 'ja' })).toBe('ja');
    expect(languages.of('discord:7')).toBe('pt-BR');
    expect(languages.of('telegram:42')).toBe('ja');
    // A tag that cannot be read changes nothing.
    expect(languages.forMessage({ userId: 'discord:7', language: 'not a tag' })).toBe('pt-BR');
  });
});

describe('what the model is told', () => {
  const context = (extra: Partial<PrefixContext>): PrefixContext => ({ userId: 'telegram:42', userName: 'Bia', conversationId: 'telegram:42', platform: 'telegram', isDirect: true, firstMessage: '', startedAt: 0, ...extra });

  it("a direct chat's prefix names the app's language; a group's, English or none say nothing", () => {
    const section = languageSection();
    expect(section.render(context({ language: 'pt-BR' }))).toBe(
      "## Language\nBia's Telegram app is set to Brazilian Portuguese (pt-BR). Answer in the language they write in; where a message has no words of theirs to go by (a photo, a voice message, a command, a scheduled task's run), answer in Brazilian Portuguese.",
    );
    expect(section.render(context({ language: 'pt-BR', isDirect: false }))).toBeUndefined();
    expect(section.render(context({ language: 'en-US' }))).toBeUndefined();
    expect(section.render(context({}))).toBeUndefined();
  });

  it('in a group, only a message with no words of its sender carries their language', () => {
    const note = "[Bia's Telegram app is set to Brazilian Portuguese (pt-BR): answer in Brazilian Portuguese unless their own words here are in another language.]";
    const noted = (extra: Partial<InboundMessage>) => withLanguageNote('content', message(extra), 'pt-BR').includes(note);
    // No words: a bare mention, an emoji, a link; a photo or voice note Cairn read (its note is in English); a scheduled run.
    expect(noted({ text: '' })).toBe(true);
    expect(noted({ text: '@cairn_bot' })).toBe(true);
    expect(noted({ text: '👍 https://example.com/report' })).toBe(true);
    expect(noted({ text: '[a photo, described by a vision model] A dashboard with a red graph.' })).toBe(true);
    expect(noted({ text: '[Scheduled task #1, set by Bia] Resuma os tickets.', scheduled: { id: 1 } })).toBe(true);
    // Words of theirs: answered in the language of the words, nothing added.
    expect(noted({ text: 'olha isso\n\n[a photo, described by a vision model] A dashboard.' })).toBe(false);
    expect(noted({ text: 'can you check?' })).toBe(false);
    // A batch's own words are what count, not the quotes of others in its text.
    expect(noted({ text: '[In reply to Bo: "the deploy failed"]\n👀', ownText: '👀' })).toBe(true);
    // A direct chat has it in its prefix; English needs nothing.
    expect(noted({ text: '', isDirect: true })).toBe(false);
    expect(withLanguageNote('content', message({ text: '' }), 'en-GB')).toBe('content');
    expect(withLanguageNote('content', message({ text: '' }), undefined)).toBe('content');
  });
});

describe('a group speaker', () => {
  it('whose name has letters the name field cannot hold is named in the words too; a Latin name is not', () => {
    expect(speakerName({ userName: '山田', senderId: '77' })).toBe('user_77');
    expect(withSpeakerShown('おはよう', { userName: '山田' })).toBe('[From 山田]\nおはよう');
    expect(withSpeakerShown('hi', { userName: 'Дмитрий Smith' })).toBe('[From Дмитрий Smith]\nhi');
    expect(speakerName({ userName: 'Дмитрий Smith', senderId: '9' })).toBe('Smith');
    for (const userName of ['Çağrı Yılmaz', 'Jürgen Groß', 'Ærøskøbing Łukasz', 'Ana 🌸', '@ada']) expect(withSpeakerShown('hi', { userName })).toBe('hi');
  });
});

/**
 * A first message in German, Portuguese, Turkish or Arabic is mostly words that carry no topic
 * ("was habe ich dir über … gesagt?", "o que eu te disse sobre …?"), as an English one is. English
 * ones were dropped from the query; theirs were searched, and months of notes written in the same
 * language, all full of them, took the places of the note the question was about.
 */
import { describe, expect, it } from 'vitest';
import { queryTerms } from '../../src/memory/notes/query.js';
import { DAY, NOW, useNotesFixtures } from './helpers.js';

const makeFixture = useNotesFixtures();

/** Months of notes as extraction writes them: each kind of thing said again week after week. */
function months(weekly: readonly string[], weeks: number): string[] {
  return Array.from({ length: weeks }, (_, week) => weekly.map((text) => text.replace(/\.$/, ` (KW ${week + 1}).`))).flat();
}

/** Where `target` ranks among the notes the first message recalls (12 are recalled), -1 when not among them. */
function recalled(notes: readonly string[], target: string, firstMessage: string): number {
  const { notes: service } = makeFixture();
  notes.forEach((text, index) => service.store.add('u', { text, kind: 'fact', origin: 'user', createdAt: NOW - index * DAY * 0.5 }));
  const wanted = service.store.add('u', { text: target, kind: 'fact', origin: 'user', createdAt: NOW - 90 * DAY });
  return service.search.keyword('u', firstMessage, { limit: 12 }).findIndex((hit) => hit.note.id === wanted.id);
}

const GERMAN = months(
  [
    'Jonas hat gesagt, dass er die Tests am Freitag schreibt und es nicht mehr verschieben will.',
    'Jonas mag es nicht, wenn die Antworten zu lang sind; er will kurze Antworten.',
    'Jonas hat gesagt, die Besprechung mit dem Team ist jeden Dienstag um 10 Uhr.',
    'Jonas weiß nicht mehr, was er im Sprint Review gesagt hat, und will eine Zusammenfassung.',
    'Das Deployment läuft über GitHub Actions, und die Pipeline ist nicht mehr so langsam.',
    'Jonas hat gesagt, was ihn stört: die vielen Meetings am Montag.',
    'Die Kollegin Anna übernimmt das Frontend, und es gibt nicht mehr viel zu tun.',
    'Was Jonas wichtig ist: die Dokumentation soll auf Deutsch sein.',
    'Jonas habe ich erklärt, wie die Logs rotiert werden; er weiß es jetzt.',
  ],
  20,
);

describe('a first message in another language recalls the note it is about', () => {
  it('German: "Was habe ich dir über die Datenbank gesagt?" among months of German notes', () => {
    const target = 'Die Datenbank läuft auf PostgreSQL 16 im Rechenzentrum Frankfurt.';
    expect(recalled(GERMAN, target, 'Hallo! Was habe ich dir über die Datenbank gesagt? Ich weiß es nicht mehr.')).toBeGreaterThanOrEqual(0);
  });

  it('leaves out the words of German, Portuguese, Turkish and Arabic that carry no topic, as English ones are', () => {
    expect(queryTerms('Was habe ich dir über die Datenbank gesagt?')).toEqual(['dir', 'datenbank']);
    expect(queryTerms('Oi! O que eu te disse sobre o banco de dados? Não lembro mais.')).toEqual(['banco', 'dados']);
    expect(queryTerms('Merhaba, veritabanı hakkında sana ne söylemiştim? Hatırlamıyorum.')).toEqual(['veritabani']);
    expect(queryTerms('ماذا قلت لك عن قاعدة البيانات؟')).toEqual(['قاعده', 'بيانات']);
  });

  it('keeps a word that is a function word in one language and a topic in English (war, hat, bin, dir, os, ben)', () => {
    expect(queryTerms('the war room hat bin dir os ben')).toEqual(['war', 'room', 'hat', 'bin', 'dir', 'os', 'ben']);
  });
});

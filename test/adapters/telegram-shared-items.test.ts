/**
 * What a person shares on Telegram that is words already (a place, a contact, a poll, a quiz, a
 * checklist, a die) reaches the model as words; one whose content does not read as Telegram
 * describes it is still named, and a story (which a bot cannot see) is named, never dropped.
 */
import { describe, expect, it } from 'vitest';
import { normalizeMessage } from '../../adapters/telegram/normalize.js';

const OPTIONS = { bot: { id: 999, username: 'cairn_bot' }, groupSessions: 'chat' as const };
const ADA = { id: 42, is_bot: false, first_name: 'Ada' };
const message = (content: Record<string, unknown>) => normalizeMessage({ message_id: 1, date: 1_700_000_000, chat: { id: 42, type: 'private' }, from: ADA, ...content }, OPTIONS);

describe('telegram shared items', () => {
  it('reads a quiz, a poll of several answers and a checklist as words', () => {
    const options = [{ text: 'Ridge', voter_count: 0 }, { text: 'Lake', voter_count: 0 }];
    expect(message({ poll: { id: 'q', question: 'Longest trail?', options, type: 'quiz' } })?.text).toBe('[a quiz: "Longest trail?", options: "Ridge", "Lake"]');
    expect(message({ poll: { id: 'p', question: 'Which days?', options, type: 'regular', allows_multiple_answers: true } })?.text).toBe('[a poll (several answers allowed): "Which days?", options: "Ridge", "Lake"]');
    const checklist = { title: 'Packing', tasks: [{ id: 1, text: 'boots', completed_by_user: ADA }, { id: 2, text: 'map' }] };
    expect(message({ checklist })?.text).toBe('[a checklist: "Packing", tasks: "boots" (done), "map"]');
  });

  it('names an item whose content it cannot read, and a story, instead of leaving the message unanswered', () => {
    const odd = message({ location: { lat: 1, lon: 2 } });
    expect(odd?.text).toBe('');
    expect(odd?.attachments).toEqual(['a location']);
    expect(message({ story: { chat: { id: -5, type: 'channel' }, id: 3 } })?.attachments).toEqual(['a story']);
  });
});

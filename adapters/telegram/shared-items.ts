/**
 * What a person shares that is words already: a location or a place, a contact card, a poll, a
 * checklist, a rolled die. Telegram sends their content with the message, so it reaches the model
 * as words ("where is the nearest pharmacy?" after a shared location); told only that "a location"
 * came, which it could not see, Cairn answered a location alone with "I can't open a location".
 * One whose content does not parse is still named (partsOf in normalize.ts), never dropped.
 */
import { z } from 'zod';

const locationSchema = z.object({ latitude: z.number(), longitude: z.number(), live_period: z.number().optional() });
const venueSchema = z.object({ location: locationSchema, title: z.string(), address: z.string().optional() });
const contactSchema = z.object({ phone_number: z.string(), first_name: z.string(), last_name: z.string().optional() });
const pollSchema = z.object({ question: z.string(), options: z.array(z.object({ text: z.string() })), type: z.string().optional(), allows_multiple_answers: z.boolean().optional() });
const checklistSchema = z.object({ title: z.string(), tasks: z.array(z.object({ text: z.string(), completed_by_user: z.unknown().optional() })) });
const diceSchema = z.object({ emoji: z.string(), value: z.number() });

/** The fields of a message (or of the message it replies to) that may hold a shared item. */
export interface SharedFields {
  location?: unknown;
  venue?: unknown;
  contact?: unknown;
  poll?: unknown;
  checklist?: unknown;
  dice?: unknown;
}

export type SharedKind = keyof SharedFields;

/** How each kind is named when its content cannot be read. */
const NAMES: Record<SharedKind, string> = { location: 'a location', venue: 'a place', contact: 'a contact', poll: 'a poll', checklist: 'a checklist', dice: 'a die' };

/** The shared items of a message in words (`[a location: 52.52, 13.405]`), and those whose content did not parse, named. */
export function sharedItems(message: SharedFields): { words: string[]; unread: string[] } {
  const words: string[] = [];
  const unread: string[] = [];
  const add = (kind: SharedKind, text: string | undefined) => (text === undefined ? unread.push(NAMES[kind]) : words.push(`[${text}]`));
  // A place comes with its location too: said once, as the place.
  const venue = message.venue === undefined ? undefined : venueSchema.safeParse(message.venue).data;
  if (message.venue !== undefined) add('venue', venue && `a place: ${[venue.title, venue.address].filter(Boolean).join(', ')} (${coordinates(venue.location)})`);
  if (message.location !== undefined && !venue) {
    const location = locationSchema.safeParse(message.location).data;
    add('location', location && `${location.live_period ? 'a live location' : 'a location'}: ${coordinates(location)}`);
  }
  if (message.contact !== undefined) {
    const contact = contactSchema.safeParse(message.contact).data;
    add('contact', contact && `a contact: ${[contact.first_name, contact.last_name].filter(Boolean).join(' ')}, ${contact.phone_number}`);
  }
  if (message.poll !== undefined) {
    const poll = pollSchema.safeParse(message.poll).data;
    const kind = poll?.type === 'quiz' ? 'a quiz' : poll?.allows_multiple_answers ? 'a poll (several answers allowed)' : 'a poll';
    add('poll', poll && `${kind}: "${poll.question}", options: ${poll.options.map((option) => `"${option.text}"`).join(', ')}`);
  }
  if (message.checklist !== undefined) {
    const checklist = checklistSchema.safeParse(message.checklist).data;
    add('checklist', checklist && `a checklist: "${checklist.title}", tasks: ${checklist.tasks.map((task) => `"${task.text}"${task.completed_by_user ? ' (done)' : ''}`).join(', ')}`);
  }
  if (message.dice !== undefined) {
    const dice = diceSchema.safeParse(message.dice).data;
    add('dice', dice && `a ${dice.emoji} rolled, showing ${dice.value}`);
  }
  return { words, unread };
}

/** `52.52, 13.405`: latitude, longitude, as a map takes them. */
function coordinates(location: z.infer<typeof locationSchema>): string {
  return `${location.latitude}, ${location.longitude}`;
}

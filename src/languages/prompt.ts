/**
 * What the model is told of a person's app language. In a direct chat, a section of the prefix, fixed at the
 * session's start as the time zone's is (the prefix stays cacheable; the person does not change). In a group
 * the prefix is everyone's, so the asker's language goes with their message instead, and only with one that
 * has no words of theirs to go by (a bare "@Cairn" under a thread, a photo, a scheduled run): a message with
 * words is answered in the language of its words, and the note would only cost tokens on every message.
 * Nothing is said for an app in English, the model's default.
 */
import type { InboundMessage } from '../core/message.js';
import type { PrefixContext, PrefixSection } from '../core/prompt.js';
import { platformName } from '../time-zones/index.js';
import { languageName } from './index.js';

export function languageSection(): PrefixSection {
  return {
    name: 'language',
    render(context: PrefixContext): string | undefined {
      const name = context.isDirect && context.language ? languageName(context.language) : undefined;
      if (!name) return undefined;
      return `## Language\n${context.userName}'s ${platformName(context.platform)} app is set to ${name} (${context.language}). Answer in the language they write in; where a message has no words of theirs to go by (a photo, a voice message, a command, a scheduled task's run), answer in ${name}.`;
    },
  };
}

/** The group message as the model reads it, with the asker's app language where it has no words of theirs. */
export function withLanguageNote(content: string, message: InboundMessage, language: string | undefined): string {
  const name = language && !message.isDirect && !hasOwnWords(message) ? languageName(language) : undefined;
  if (!name) return content;
  return `${content}\n\n[${message.userName}'s ${platformName(message.platform)} app is set to ${name} (${language}): answer in ${name} unless their own words here are in another language.]`;
}

/**
 * Whether the message carries words the sender typed: letters beside mentions and links, not starting with a
 * note Cairn wrote (what it read of a file comes as `[a photo, described by a vision model] …`, in English).
 * A scheduled run's words are its task's, written when it was set; the run itself is no one's message.
 */
function hasOwnWords(message: InboundMessage): boolean {
  if (message.scheduled) return false;
  const words = (message.ownText ?? message.text).replace(/https?:\/\/\S+|@\w+/g, '').trim();
  return /\p{L}/u.test(words) && !words.startsWith('[');
}

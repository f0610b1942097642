/**
 * `/model`: which model this conversation talks to, and, for admins, a switch to another
 * of the provider's models (`/model <name>`) or back (`/model default`). The switch holds
 * for the conversation's later sessions too, and starts with its next message. A name the
 * provider does not list (OpenRouter's routing variants after a listed one aside) is refused
 * with the closest ones it does; a provider that cannot list its models is taken at its word.
 */
import { distance } from 'fastest-levenshtein';
import type { Clock } from './clock.js';
import type { CommandRegistry } from './commands.js';
import { describeError } from './errors.js';
import type { ConversationModels } from '../memory/conversation-models.js';
import type { SessionStore } from '../memory/sessions.js';

/** Model names are ids such as `anthropic/claude-sonnet-4.5` or `llama3.1:8b`. */
const MODEL_NAME = /^[\w.:/@+-]{1,200}$/;
/** Dashes web pages write in model names (OpenAI's "GPT‑4o" has U+2011): ids have the ASCII hyphen. */
const DASHES = /[\u2010-\u2015\u2212\uFE63\uFF0D]/g;
/** Quote marks or backticks around a name (`/model "gpt-4o"`, code-formatted on Discord): no name has them. */
const AROUND = /^["'`\u2018\u2019\u201C\u201D\u00AB\u00BB]+|["'`\u2018\u2019\u201C\u201D\u00AB\u00BB]+$/g;
/**
 * OpenRouter's routing variants: accepted after any model's id (`openai/gpt-4o:nitro`), listed
 * after none (its /models holds catalog variants such as `:free` only).
 */
const ROUTING_VARIANTS = new Set(['nitro', 'floor', 'exacto', 'online']);
const SUGGESTIONS = 5;
/** Most names `/model list` shows at once. */
const LISTED = 30;

export interface ModelCommandOptions {
  models: ConversationModels;
  sessions: SessionStore;
  clock: Clock;
  /** The model the config gives a conversation (`channels`), if any. */
  channelModel: (conversationId: string) => string | undefined;
  /** The provider's model, for conversations the config gives none. */
  providerModel: string;
  /** The provider's model names; throws when it cannot list them. */
  available: () => Promise<string[]>;
}

export function registerModelCommand(commands: CommandRegistry, options: ModelCommandOptions): void {
  commands.register({
    name: 'model',
    usage: 'model [list [filter] | name | default]',
    description: "show the model this conversation uses, or the provider's models (admins: switch, or go back to the default)",
    run: async ({ message, args, isAdmin }) => {
      const { conversationId } = message;
      const configured = options.channelModel(conversationId) ?? options.providerModel;
      const wanted = args.trim().replace(AROUND, '').replace(DASHES, '-');
      const own = options.models.get(conversationId);
      if (wanted === '') {
        const current = own?.model ?? configured;
        const how = own ? ` (switched by ${own.setByName ?? own.setBy}; \`/model default\` goes back to ${configured})` : '';
        return `This conversation uses ${current}${how}.${isAdmin ? ' Switch with /model <name>.' : ''}`;
      }
      const listing = /^list(?:\s+(.*))?$/i.exec(wanted);
      if (listing) return listModels(options, listing[1]?.trim().replace(AROUND, '') ?? '');
      if (!isAdmin) return 'Only an admin can switch the model: each one costs differently.';
      if (wanted.toLowerCase() === 'default') {
        options.models.clear(conversationId);
        switchSession(options, conversationId, options.channelModel(conversationId));
        return `This conversation is back on ${configured}.`;
      }
      if (!MODEL_NAME.test(wanted)) return `"${wanted}" is no model name. Send /model <name>, as the provider names it (for example gpt-4o-mini or anthropic/claude-sonnet-4.5).`;
      let chosen = wanted;
      let note = '';
      try {
        const names = await options.available();
        const listed = listedName(wanted, names);
        if (!listed) {
          const near = closestNames(wanted, names);
          return `The provider has no model named ${wanted}.${near.length > 0 ? ` Close: ${near.join(', ')}.` : ''}`;
        }
        chosen = listed;
      } catch (error) {
        note = ` (The provider did not list its models, so the name is unchecked: ${describeError(error)}.)`;
      }
      options.models.set(conversationId, chosen, message, options.clock.now());
      switchSession(options, conversationId, chosen);
      return `From the next message on, this conversation uses ${chosen}.${note}`;
    },
  });
}

/** The provider's models whose names contain `filter`, at most LISTED of them. */
async function listModels(options: ModelCommandOptions, filter: string): Promise<string> {
  let names: string[];
  try {
    names = await options.available();
  } catch (error) {
    return `The provider did not list its models: ${describeError(error)}.`;
  }
  const matching = names.filter((name) => name.toLowerCase().includes(filter.toLowerCase())).sort();
  if (matching.length === 0) return filter ? `No model of the provider's ${names.length} has "${filter}" in its name.` : 'The provider lists no models.';
  const shown = matching.slice(0, LISTED);
  const more = matching.length > shown.length ? `\n…and ${matching.length - shown.length} more: narrow it with /model list <part of a name>.` : '';
  return `${filter ? `Models with "${filter}"` : 'Models'} (${matching.length}):\n${shown.join('\n')}${more}`;
}

/** The running session switches too; the next session starts on the conversation's model anyway. */
function switchSession(options: ModelCommandOptions, conversationId: string, model: string | undefined): void {
  const session = options.sessions.active(conversationId);
  if (session) options.sessions.setModel(session.id, model);
}

/**
 * The provider's name for what was typed: as listed; the one listed name it is but for capitals
 * (providers match names exactly); or a listed model with an OpenRouter routing variant after it.
 */
export function listedName(wanted: string, names: readonly string[]): string | undefined {
  if (names.includes(wanted)) return wanted;
  const sameLetters = names.filter((name) => name.toLowerCase() === wanted.toLowerCase());
  if (sameLetters.length === 1) return sameLetters[0];
  // Ollama lists `llama3.2:latest` and takes `llama3.2` for it, as `ollama run` does.
  if (!wanted.includes(':')) {
    const latest = listedName(`${wanted}:latest`, names);
    if (latest !== undefined) return latest;
  }
  const colon = wanted.lastIndexOf(':');
  const variant = wanted.slice(colon + 1).toLowerCase();
  if (colon <= 0 || !ROUTING_VARIANTS.has(variant)) return undefined;
  const base = listedName(wanted.slice(0, colon), names);
  return base === undefined ? undefined : `${base}:${variant}`;
}

/** Names that contain what was typed first, then the nearest by edit distance. */
function closestNames(wanted: string, names: readonly string[]): string[] {
  const lower = wanted.toLowerCase();
  return [...names]
    .map((name) => ({ name, score: name.toLowerCase().includes(lower) ? -1 : distance(lower, name.toLowerCase()) }))
    .filter(({ score }) => score < Math.max(4, lower.length / 2))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, SUGGESTIONS)
    .map(({ name }) => name);
}

/**
 * A person's side of their time zone: `/timezone` says which Cairn uses for them and where it comes
 * from, `/timezone Europe/Berlin` sets it, `/timezone auto` goes back to their platform's (or the
 * team's); and `set_time_zone`, the model's way to keep what they tell it ("I'm in Tokyo this week"),
 * so it is not asked again in the next conversation.
 */
import { z } from 'zod';
import type { CommandRegistry } from '../core/commands.js';
import type { Tool } from '../tools/registry.js';
import { isCairnError } from '../core/errors.js';
import { wallClock } from '../memory/notes/local-time.js';
import { platformName, type PersonZone, type TimeZones } from './index.js';

/** The zones of a person's active scheduled tasks, for saying that they keep theirs. */
export type TaskZones = (person: string) => string[];

const AUTO = new Set(['auto', 'clear', 'reset', 'default', 'none']);

export function registerTimeZoneCommand(commands: CommandRegistry, zones: TimeZones, now: () => number, taskZones: TaskZones = () => []): void {
  commands.register({
    name: 'timezone',
    usage: 'timezone [Region/City|auto]',
    description: 'show or set your time zone (for the time I tell you, reminders and "yesterday" in your notes)',
    run: ({ message, args }) => {
      const person = message.userId;
      const given = args.trim();
      if (given === '') return shown(zones.forMessage(message), zones.defaultZone, now());
      if (AUTO.has(given.toLowerCase())) {
        const cleared = zones.clearOwn(person);
        const after = zones.forMessage(message);
        return `${cleared ? 'Done: I no longer use a time zone you set.' : 'You had not set a time zone.'} ${shown(after, zones.defaultZone, now())}`;
      }
      let zone: string;
      try {
        zone = zones.setOwn(person, given);
      } catch (error) {
        if (isCairnError(error)) return `${error.message} For example: /timezone Europe/Berlin`;
        throw error;
      }
      return [`Your time zone is now ${zone}: it is ${clockIn(zone, now())} there.`, USED_FOR, keptByTasks(taskZones(person), zone)].filter(Boolean).join(' ');
    },
  });
}

const USED_FOR = 'I use it for the time I tell you, the reminders and tasks you schedule from now on, and the days of your notes ("yesterday").';

/** What `/timezone` alone says: the zone, whose it is, and how to change it. */
function shown(zone: PersonZone, defaultZone: string, at: number): string {
  const time = `it is ${clockIn(zone.zone, at)} there`;
  if (zone.source === 'own') return `Your time zone is ${zone.zone}, as you set it (${time}). Change it with /timezone <Region/City>, or /timezone auto to stop using it.`;
  if (zone.source === 'platform') return `Your time zone is ${zone.zone}, from your ${platformName(zone.platform)} profile (${time}). If that is wrong, set yours with /timezone <Region/City>, e.g. /timezone Europe/Berlin.`;
  return `I don't know your time zone, so I use the team's, ${defaultZone} (${time}). Set yours with /timezone <Region/City>, e.g. /timezone Europe/Berlin, or just tell me where you are.`;
}

/** `Tue 24 Nov, 18:05`: the wall clock of `zone` at `at`. */
export function clockIn(zone: string, at: number): string {
  const wall = wallClock(at, zone);
  const day = new Date(wall.asUtc).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  return `${day}, ${wall.time}`;
}

/** Scheduled tasks already set keep the zone they were set in: said, so a traveller is not surprised. */
function keptByTasks(zones: readonly string[], now: string): string {
  const others = zones.filter((zone) => zone !== now);
  if (others.length === 0) return '';
  const named = [...new Set(others)].join(', ');
  return `Your ${others.length === 1 ? 'scheduled task already set keeps its' : `${others.length} scheduled tasks already set keep their`} time zone (${named}); /schedules lists them, and you can cancel one and ask me again to move it.`;
}

const setParameters = z.object({
  timeZone: z.string().min(1).max(64).describe('IANA Region/City name of where the person is, e.g. Europe/Berlin for Berlin, America/Los_Angeles for San Francisco, Asia/Tokyo for Tokyo; not an abbreviation (EST, CET) or an offset.'),
});

/** The model's way to keep the zone a person tells it, for them only (never someone they name). */
export function setTimeZoneTool(zones: TimeZones): Tool<z.infer<typeof setParameters>> {
  return {
    name: 'set_time_zone',
    description:
      "Remember the time zone of the person speaking, when they tell you where they are or which zone they are in (\"I'm in Berlin\", \"I moved to Tokyo\"). From then on current_time, schedule_task and memory_search use it for them, in every conversation. Only for the person speaking, never for someone they mention; they can also use /timezone.",
    parameters: setParameters,
    execute({ timeZone }, context) {
      const zone = zones.setOwn(context.userId, timeZone);
      return `Saved: the time zone of ${context.sender?.name ?? 'the person speaking'} is ${zone} (it is ${clockIn(zone, context.now())} there). Scheduled tasks already set keep theirs.`;
    },
  };
}

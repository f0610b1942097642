/**
 * What the system prompt says of time zones, fixed at the session's start. In a direct chat: the
 * person's zone and whose it is, or that the team's stands in and how to keep theirs once said (the
 * schedule tool used to tell the model to ask whenever it mattered, so it asked in every conversation). In a group:
 * that each request is read in the zone of whoever makes it.
 */
import type { PrefixContext, PrefixSection } from '../core/prompt.js';
import { platformName, type TimeZones } from './index.js';

export function timeZoneSection(zones: TimeZones): PrefixSection {
  return {
    name: 'time-zones',
    render(context: PrefixContext): string {
      if (!context.isDirect) {
        return '## Time zones\nPeople here may be in different time zones: current_time, schedule_task and memory_search use the zone of whoever is speaking. When someone says where they are, save it with set_time_zone.';
      }
      const { zone, source, platform } = zones.of(context.userId);
      if (source === 'own') return `## Time zone\n${context.userName} is in ${zone} (they set it); current_time, schedule_task and memory_search use it. If they say they are elsewhere now, save that with set_time_zone.`;
      if (source === 'platform') return `## Time zone\n${context.userName} is in ${zone} (their ${platformName(platform)} profile says so); current_time, schedule_task and memory_search use it. If they say they are elsewhere, save that with set_time_zone.`;
      // Not "ask them": in a team all in one zone, every member would be asked for nothing.
      return `## Time zone\n${context.userName} has not said their time zone: the team's, ${zone}, stands in. If they say they are elsewhere, save theirs with set_time_zone; it is then kept for every conversation.`;
    },
  };
}

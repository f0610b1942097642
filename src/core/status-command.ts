/**
 * `/status`, for admins: is Cairn well, in the chat. How long it has run, each platform's
 * connection, the turns running now, and what waits for an admin (commands held for
 * approval, skill changes proposed). `/usage` has the tokens and cost.
 */
import type { Clock } from './clock.js';
import type { CommandRegistry } from './commands.js';
import type { AdapterHealth } from './message.js';

export interface StatusSources {
  clock: Clock;
  /** When this process started serving. */
  startedAt: number;
  /** The primary model. */
  model: string;
  platforms: () => { platform: string; health: AdapterHealth }[];
  runningTurns: () => number;
  /** Turns waiting for room under CAIRN_MAX_TURNS_AT_ONCE (`limit`, 0: no cap; turn-slots.ts). */
  turnsWaitingForRoom?: () => { waiting: number; limit: number };
  pendingApprovals: () => number;
  pendingProposals: () => number;
  /** CAIRN_TZ and how many people set a zone of their own (time-zones/). */
  timeZones?: () => { defaultZone: string; own: number };
}

export function registerStatusCommand(commands: CommandRegistry, sources: StatusSources): void {
  commands.register({
    name: 'status',
    description: 'how Cairn is doing: uptime, platforms, running turns, what waits for an admin',
    adminOnly: true,
    // Read-only, and wanted most while a long turn runs here.
    immediate: true,
    run: () => statusText(sources),
  });
}

export function statusText(sources: StatusSources): string {
  const since = new Date(sources.startedAt).toISOString().slice(0, 16).replace('T', ' ');
  const platforms = sources.platforms();
  const approvals = sources.pendingApprovals();
  const proposals = sources.pendingProposals();
  const waiting = [approvals > 0 ? `${approvals} command${approvals === 1 ? '' : 's'} to approve (/approve)` : '', proposals > 0 ? `${proposals} skill change${proposals === 1 ? '' : 's'} to review (/proposals)` : ''].filter(Boolean);
  return [
    `Cairn is up ${duration(sources.clock.now() - sources.startedAt)} (since ${since} UTC), on ${sources.model}.`,
    `Platforms: ${platforms.length === 0 ? 'none' : platforms.map(({ platform, health }) => `${platform} ${health.problem ? `(${health.ok ? '' : 'down: '}${health.problem})` : health.ok ? 'ok' : 'down'}`).join(', ')}.`,
    turnsLine(sources),
    waiting.length > 0 ? `Waiting for an admin: ${waiting.join(', ')}.` : 'Nothing waits for an admin.',
    ...zonesLine(sources),
    '/usage shows the tokens and cost of today.',
  ].join('\n');
}

/**
 * The turns running, and those past CAIRN_MAX_TURNS_AT_ONCE waiting for room: a cap set too low for the team shows
 * here as people waiting while the machine idles (the /metrics gauge is cairn_turns_waiting_for_room).
 */
function turnsLine(sources: StatusSources): string {
  const running = sources.runningTurns();
  const room = sources.turnsWaitingForRoom?.();
  if (!room || room.waiting === 0) return `Turns running now: ${running}.`;
  return `Turns running now: ${running}; ${room.waiting} more ${room.waiting === 1 ? 'waits' : 'wait'} for room (at most ${room.limit} run at once: CAIRN_MAX_TURNS_AT_ONCE).`;
}

/** Which zone stands in for people who set none, and how many did: the team's spread at a glance. */
function zonesLine(sources: StatusSources): string[] {
  const zones = sources.timeZones?.();
  if (!zones) return [];
  const own = zones.own === 0 ? 'nobody has set theirs with /timezone yet' : `${zones.own} ${zones.own === 1 ? 'person has' : 'people have'} set theirs (/timezone)`;
  return [`Time zone: ${zones.defaultZone} (CAIRN_TZ) for anyone whose own is unknown; ${own}.`];
}

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1_440);
  const hours = Math.floor((minutes % 1_440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return `${minutes} min`;
}

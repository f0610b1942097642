/**
 * Per-conversation overrides from the config file. Every key that matches the conversation
 * applies, field by field, a longer (more specific) key's fields over a shorter one's: a
 * workspace-wide `backend: docker` holds in a channel whose own entry sets only instructions
 * (taking the longest entry whole ran that channel's commands on the local back end).
 */
import type { ChannelOverride } from './schema.js';

export function channelOverride(channels: Record<string, ChannelOverride>, conversationId: string): ChannelOverride | undefined {
  const matching = Object.keys(channels)
    .filter((key) => conversationId === key || conversationId.startsWith(key.endsWith(':') ? key : `${key}:`))
    .sort((a, b) => a.length - b.length);
  if (matching.length === 0) return undefined;
  const merged: ChannelOverride = {};
  for (const key of matching) {
    for (const [field, value] of Object.entries(channels[key] ?? {})) if (value !== undefined) Object.assign(merged, { [field]: value });
  }
  return merged;
}

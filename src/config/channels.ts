/** Per-conversation overrides from the config file: the longest matching key wins. */
import type { ChannelOverride } from './schema.js';

export function channelOverride(channels: Record<string, ChannelOverride>, conversationId: string): ChannelOverride | undefined {
  let best: string | undefined;
  for (const key of Object.keys(channels)) {
    if (conversationId === key || conversationId.startsWith(key.endsWith(':') ? key : `${key}:`)) {
      if (best === undefined || key.length > best.length) best = key;
    }
  }
  return best === undefined ? undefined : channels[best];
}

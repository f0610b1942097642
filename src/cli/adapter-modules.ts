/**
 * The platform adapters, each loaded (with its platform SDK) only when its platform is
 * configured. Spelled out, not computed, so the build can bundle them.
 */
import type { AdapterModule, PlatformName } from '../core/adapter-factory.js';

export const ADAPTER_MODULES: Record<PlatformName, () => Promise<AdapterModule>> = {
  telegram: () => import('../../adapters/telegram/index.js'),
  slack: () => import('../../adapters/slack/index.js'),
  discord: () => import('../../adapters/discord/index.js'),
};

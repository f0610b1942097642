/** Tools people add from their own modules: loaded and checked at the start (./load.ts), run as Cairn's own are (./wrap.ts). */
export { loadToolModules, BUILTIN_TOOL_NAMES, type LoadedTool } from './load.js';
export { registerCustomTools, customTool } from './wrap.js';
export type { CustomTool, CustomToolContext } from './types.js';

/** Settings of the tools people add themselves (src/tools/custom): the modules Cairn loads at its start. */
import { z } from 'zod';
import { hostPath } from './host-path.js';
import type { EnvBinding } from './env.js';

export const toolsSchema = z
  .object({
    /**
     * JS or TS modules (or folders of them) that export tools; loaded once at the start, which refuses
     * to go on when one cannot be. Relative paths are resolved against the working directory.
     */
    modules: z.array(hostPath()).default([]),
  })
  .prefault({});

export type ToolsConfig = z.output<typeof toolsSchema>;

export const TOOLS_ENV_BINDINGS: readonly EnvBinding[] = [
  {
    name: 'CAIRN_TOOL_MODULES',
    path: ['tools', 'modules'],
    kind: 'list',
    help: 'Comma-separated JS/TS modules, or folders of them, exporting your own tools (`cairn tools check` tries them); loaded at the start, so an edit takes effect at the next start.',
  },
];

/**
 * A tool result must hold whole characters: read_file and read_attachment started inside an emoji (a
 * startChar the model chose) returned half of it, which Anthropic and DeepSeek refuse ("no low surrogate
 * in string") in every later request of the session.
 */
import { expect, it } from 'vitest';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';
import { readFileTool } from '../../src/tools/files.js';
import type { ExecutionToolOptions } from '../../src/tools/terminal.js';
import type { KeptFiles } from '../../src/core/kept-files.js';
import type { EnvironmentRegistry } from '../../src/backends/environments.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: true, signal: new AbortController().signal, now: () => 0 };
const wellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
// Emoji are two UTF-16 units each: start_char 2 starts inside the first one.
const line = '🔥🚀🎯 deploy done 🎉';

it('read_attachment started inside an emoji returns whole characters', async () => {
  const kept = { days: 7, get: () => ({ id: 1, name: 'chat.txt', kind: 'text', text: `${line}\nsecond` }) } as unknown as KeptFiles;
  const result = await new ToolRegistry().register(readAttachmentTool(kept)).execute({ id: '1', name: 'read_attachment', arguments: JSON.stringify({ attachment: 1, start_line: 1, start_char: 2 }) }, context);
  expect(result.ok).toBe(true);
  expect(wellFormed(result.content)).toBe(true);
});

it('read_file started inside an emoji returns whole characters', async () => {
  const environments = { backendFor: () => 'local', use: async (_s: string, _c: string, run: (e: unknown) => unknown) => run({ readFile: async () => Buffer.from(`${line}\n`) }) } as unknown as EnvironmentRegistry;
  const options = { environments, adminOnly: true, maxFileBytes: 1_000_000 } as unknown as ExecutionToolOptions;
  const result = await new ToolRegistry().register(readFileTool(options)).execute({ id: '1', name: 'read_file', arguments: JSON.stringify({ path: 'chat.txt', startChar: 4 }) }, context);
  expect(result.ok).toBe(true);
  expect(wellFormed(result.content)).toBe(true);
});

/**
 * read_attachment find on a file with more matches than one list holds (100, or 16,000 characters): it
 * said "(the first N shown)" and ignored start_line, so the rest could never be listed.
 */
import { expect, it } from 'vitest';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';
import type { KeptFiles } from '../../src/core/kept-files.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: false, signal: new AbortController().signal, now: () => 0 };

it('lists every match of find page by page, from start_line on', async () => {
  // 1,000 lines, every third one a timeout: 333 matches, more than one list holds.
  const lines = Array.from({ length: 1_000 }, (_, i) => (i % 3 === 2 ? `#${i + 1} timeout after 30 s ${'x'.repeat(200)}` : `#${i + 1} ok`));
  const kept = { days: 7, get: (id: number) => (id === 1 ? { id: 1, name: 'app.log', kind: 'text', text: lines.join('\n') } : undefined) } as unknown as KeptFiles;
  const tools = new ToolRegistry().register(readAttachmentTool(kept));
  const listed: number[] = [];
  let args: Record<string, unknown> = { attachment: 1, find: 'TIMEOUT' };
  for (let calls = 0; calls < 20; calls++) {
    const result = await tools.execute({ id: String(calls), name: 'read_attachment', arguments: JSON.stringify(args) }, context);
    expect(result.ok).toBe(true);
    listed.push(...[...result.content.matchAll(/^(\d+): #(\d+) timeout/gm)].map((m) => Number(m[1])));
    const next = /find again with start_line (\d+)/.exec(result.content)?.[1];
    if (!next) break;
    args = { ...args, start_line: Number(next) };
  }
  expect(listed).toEqual(Array.from({ length: 333 }, (_, i) => 3 * (i + 1)));
});

it('searches from start_line on when it is given with find', async () => {
  const text = Array.from({ length: 50 }, (_, i) => `line ${i + 1} error`).join('\n');
  const kept = { days: 7, get: () => ({ id: 2, name: 'a.log', kind: 'text', text }) } as unknown as KeptFiles;
  const result = await new ToolRegistry().register(readAttachmentTool(kept)).execute({ id: '1', name: 'read_attachment', arguments: JSON.stringify({ attachment: 2, find: 'error', start_line: 41 }) }, context);
  expect(result.content.split('\n').slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `${41 + i}: line ${41 + i} error`));
});

/**
 * read_attachment's `find` in a line too long to list (minified JSON, a one-line export): it
 * listed the line's first 300 characters, where the words found were not, and no start_char,
 * so the model paged through the line from its start to see them.
 */
import { describe, expect, it } from 'vitest';
import { KeptFiles } from '../../src/core/kept-files.js';
import { openDatabase } from '../../src/store/db.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';

const context = { sessionId: 's', conversationId: 'test:1', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 };

function keptWith(text: string): { tool: ReturnType<typeof readAttachmentTool>; id: number } {
  const kept = new KeptFiles(openDatabase(':memory:'), { now: () => 0 }, 7);
  return { tool: readAttachmentTool(kept), id: kept.keepText({ conversationId: 'test:1', userId: 'u' }, 'export.json', text) };
}

describe('read_attachment find in a very long line (minified JSON, a one-line export)', () => {
  it('shows the words found and where they are in the line, to read on from there', async () => {
    const records = Array.from({ length: 1_000 }, (_, i) => `{"id":${i},"status":"${i === 700 ? 'FAILED: quota exceeded' : 'ok'}"}`);
    const line = `[${records.join(',')}]`;
    const at = line.indexOf('FAILED');
    const { tool, id } = keptWith(`header\n${line}`);
    const found = String(await tool.execute({ attachment: id, find: 'failed' }, context as never));
    expect(found).toContain('FAILED: quota exceeded');
    const [, startChar] = /start_char (\d+)/.exec(found) ?? [];
    expect(Number(startChar)).toBeGreaterThan(at - 300);
    expect(Number(startChar)).toBeLessThanOrEqual(at + 1);
    const read = String(await tool.execute({ attachment: id, start_line: 2, start_char: Number(startChar) }, context as never));
    expect(read.split('\n')[1]!.slice(0, 400)).toContain('FAILED: quota exceeded');
  });

  it('lists a match near the start of a long line as before', async () => {
    const { tool, id } = keptWith(`FAILED once ${'x'.repeat(1_000)}`);
    expect(String(await tool.execute({ attachment: id, find: 'failed' }, context as never))).toBe(`1 line(s) of attachment #${id} (export.json) contain "failed"; read around one with start_line:\n1: FAILED once ${'x'.repeat(288)} […]`);
  });
});

/**
 * Results that fit under the registry's cut (MAX_TOOL_RESULT_CHARS = 20,000) by themselves, saying
 * how to get the rest: what the registry cuts from the middle can never be asked for again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolRegistry, MAX_TOOL_RESULT_CHARS, type ToolContext } from '../../src/tools/registry.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';
import type { KeptFiles } from '../../src/core/kept-files.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 12) };

describe('read_attachment find', () => {
  it('lists whole every match it says it shows, none cut out of the middle', async () => {
    // A log of 300 long lines, each with "timeout" in it: the first 100 matches are listed, 300 characters each.
    const text = Array.from({ length: 300 }, (_, i) => `#${String(i + 1).padStart(3, '0')} timeout ${'x'.repeat(400)}`).join('\n');
    const kept = { days: 7, get: (id: number) => (id === 1 ? { id: 1, name: 'app.log', kind: 'text', text } : undefined) } as unknown as KeptFiles;
    const tools = new ToolRegistry().register(readAttachmentTool(kept));
    const result = await tools.execute({ id: '1', name: 'read_attachment', arguments: JSON.stringify({ attachment: 1, find: 'timeout' }) }, context);
    expect(result.ok).toBe(true);
    const shown = Number(/\(the first (\d+) shown\)/.exec(result.content)?.[1]);
    expect(result.content).toContain(`300 line(s) of attachment #1 (app.log) contain "timeout" (the first ${shown} shown)`);
    expect(/characters omitted/.test(result.content), 'the registry cut the list in the middle').toBe(false);
    for (let n = 1; n <= shown; n++) expect(result.content.includes(`\n${n}: #${String(n).padStart(3, '0')} timeout`), `match ${n} listed`).toBe(true);
    expect(result.content.includes(`\n${shown + 1}: `)).toBe(false);
  });
});

describe('skill_view', () => {
  let server: FakeModelServer;
  let cairn: TestCairn;
  beforeEach(async () => {
    server = await startFakeModelServer();
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
  });
  afterEach(async () => {
    await cairn.close();
    await server.close();
  });

  it('returns a supporting file skill_create accepted whole, or says how to read the rest', async () => {
    // 40 KB of reference: under skill_create's 256 KB per file and skill_view's 128 KB, over the registry's 20,000.
    const reference = Array.from({ length: 800 }, (_, i) => `Step ${i + 1}: check the replica lag before failing over.`).join('\n');
    expect(reference.length).toBeGreaterThan(MAX_TOOL_RESULT_CHARS);
    const created = await cairn.tools.execute(
      { id: '1', name: 'skill_create', arguments: JSON.stringify({ name: 'db-failover', description: 'Failing over the primary database safely.', body: '## Steps\n\n1. Read references/runbook.md and follow it.', files: [{ path: 'references/runbook.md', content: reference }] }) },
      context,
    );
    expect(created).toMatchObject({ ok: true });
    const viewed = await cairn.tools.execute({ id: '2', name: 'skill_view', arguments: JSON.stringify({ name: 'db-failover', file: 'references/runbook.md' }) }, context);
    expect(viewed.ok).toBe(true);
    // Read page by page, every step comes once, in order, none cut from a middle.
    const steps: string[] = [];
    let page = viewed.content;
    for (let calls = 0; calls < 10; calls++) {
      expect(page).not.toMatch(/characters omitted/);
      steps.push(...page.split('\n').filter((line) => line.startsWith('Step ')));
      const next = /call skill_view with this file and startLine (\d+)\.\]$/.exec(page)?.[1];
      if (!next) break;
      const more = await cairn.tools.execute({ id: '3', name: 'skill_view', arguments: JSON.stringify({ name: 'db-failover', file: 'references/runbook.md', startLine: Number(next) }) }, context);
      page = more.content;
    }
    expect(steps).toEqual(reference.split('\n'));
  });
});

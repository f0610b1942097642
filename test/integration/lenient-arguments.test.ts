/**
 * Arguments models commonly send whose meaning is plain: null for an optional field (Gemini and
 * vLLM-served models often send it for "not given") and numbers written as strings (common in the
 * Hermes text format). Each refusal cost a tool step and counted as a tool error.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/registry.js';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_REFLECTION: 'off' });
});

function context(): ToolContext {
  return { sessionId: 's', conversationId: 'test:dm:alice', userId: 'test:alice', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => cairn.clock.now(), sender: { identity: 'test:alice', id: 'alice', name: 'alice', isDirect: true } };
}

const call = (name: string, args: unknown) => cairn.tools.execute({ id: '1', name, arguments: JSON.stringify(args) }, context());

describe('an empty string for an optional field', () => {
  it('memory_search with kind "" (open models send "" for a field left out) searches every kind', async () => {
    cairn.notes.save('test:alice', { text: 'Prefers answers in British English.', kind: 'preference', pinned: false, sessionId: 'x', now: cairn.clock.now() });
    const result = await call('memory_search', { query: 'English', kind: '', since: '', until: ' ' });
    expect(result.ok).toBe(true);
    expect(result.content).toContain('British English');
  });

  it('is still refused for a field that must be given', async () => {
    const result = await call('memory_save', { text: '' });
    expect(result.ok).toBe(false);
    expect(result.content).toContain('Invalid arguments');
  });
});

describe('null for an optional field', () => {
  it('current_time with timeZone null tells the time in UTC', async () => {
    const result = await call('current_time', { timeZone: null });
    expect(result.content).not.toContain('Invalid arguments');
    expect(result.ok).toBe(true);
  });

  it('memory_search with the filters it does not use set to null searches', async () => {
    cairn.notes.save('test:alice', { text: 'Prefers answers in British English.', kind: 'preference', pinned: false, sessionId: 'x', now: cairn.clock.now() });
    const result = await call('memory_search', { query: 'English', since: null, until: null, kind: null, limit: null });
    expect(result.content).not.toContain('Invalid arguments');
    expect(result.content).toContain('British English');
  });
});

describe('numbers written as strings', () => {
  it('cancel_scheduled_task with id "1" reads it as the number 1', async () => {
    const cancel = await call('cancel_scheduled_task', { id: '1' });
    expect(cancel.content).not.toContain('Invalid arguments');
    expect(cancel.content).toContain('There is no scheduled task #1');
  });
});

/**
 * Compression of a long conversation into a summary, as a tool-heavy conversation on a
 * small-context model meets it: every summarizer request must fit the context too.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

const isSummary = (body: ChatBody) => String(body.messages?.[0]?.content).startsWith('You compress');

describe('compression', () => {
  it('keeps every summarizer request within the context when one early turn ran many tools, and so still compresses', async () => {
    const context = 2_000;
    const cairn = rig.start({ CAIRN_CONTEXT_TOKENS: String(context), CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_MAX_RETRIES: '0' });
    cairn.tools.register({ name: 'read_page', description: 'reads a page', parameters: z.object({ n: z.number() }), execute: ({ n }) => `page ${n}: ${'lorem ipsum dolor sit amet '.repeat(120)}` });
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      if (!isSummary(body)) return { text: 'ok' };
      // As real providers do: a prompt past the model's context is refused.
      if (JSON.stringify(body.messages).length / 4 > context) return { error: { status: 400, body: { error: { message: 'context_length_exceeded' } } } };
      return { text: 'SUMMARY: the user had pages read, then chatted.' };
    });
    // The first turn reads six pages at once (one step, six parallel calls), then answers at length.
    rig.server.enqueue({ toolCalls: [1, 2, 3, 4, 5, 6].map((n) => ({ name: 'read_page', arguments: { n } })) }, { text: `Read all six. ${'They agree on the plan. '.repeat(300)}` });
    await cairn.gateway.receive(cairn.adapter.message('read pages 1 to 6'));
    for (let i = 0; i < 12; i++) await cairn.gateway.receive(cairn.adapter.message(`question ${i}: ${'and one more detail about it '.repeat(20)}`));

    const summaries = rig.server.chatRequests().filter(isSummary);
    expect(summaries.length).toBeGreaterThan(0);
    expect(Math.max(...summaries.map((body) => Math.ceil(JSON.stringify(body.messages).length / 4)))).toBeLessThanOrEqual(context);
    // The first fold is that turn, its items shortened: its question, calls and answer are all in it.
    const first = String(summaries[0]?.messages[1]?.content);
    expect(first).toMatch(/^User: read pages 1 to 6\nAgent: \[called read_page/);
    expect(first.match(/^Tool result: page \d/gm)).toHaveLength(6);
    expect(first).toMatch(/\nAgent: Read all six\./);
    expect(cairn.sessions.store.active('test:dm:alice')?.summary).toMatch(/^SUMMARY/);
  });
});

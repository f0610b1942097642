/**
 * A long voice note through the whole of Cairn (gateway, fake model server's transcription
 * endpoint, real SQLite): a 10-minute dictation over `agent.maxInputChars`, or a recorded meeting
 * over the room the context leaves, was refused after it was transcribed, with advice to split
 * it; now it is shortened like a document, kept and numbered, and read_attachment finds in it
 * later. A short voice note still reads as the person's words.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundFile } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';

let server: FakeModelServer;
let cairn: TestCairn;

async function start(yaml: string, env: Record<string, string> = {}): Promise<void> {
  server = await startFakeModelServer();
  const dir = tempDir();
  writeFileSync(join(dir, 'cairn.yaml'), yaml);
  cairn = startTestCairn(testConfig(server.url, { CAIRN_CONFIG: join(dir, 'cairn.yaml'), CAIRN_REFLECTION: 'off', CAIRN_TRANSCRIBE_MODEL: 'whisper-1', CAIRN_KEEP_FILES_DAYS: '7', CAIRN_SESSION_IDLE_MINUTES: '100000', ...env }));
}
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const voice: InboundFile = { label: 'a voice message', fileName: 'voice.ogg', contentType: 'audio/ogg', size: 4, load: async () => Buffer.from('OggS') };
const lastAsked = () => String(server.chatRequests().at(-1)?.messages.at(-1).content);
function lastToolResult(): string {
  const messages = server.chatRequests().at(-1)?.messages as { role: string; content: string }[];
  return messages.filter((message) => message.role === 'tool').at(-1)?.content ?? '';
}

// A dictation as Whisper returns it: one paragraph, sentence after sentence, no line breaks.
const dictation = Array.from({ length: 300 }, (_, i) => (i === 150 ? 'The budget for the roof is 42,000 euros.' : `Point ${i + 1} of the minutes is noted.`)).join(' ');

describe('a long voice note', () => {
  it('is shortened like a document, kept, numbered and read on, instead of refused after it was transcribed', async () => {
    await start('agent:\n  maxInputChars: 4000\n');
    server.enqueueTranscription({ text: dictation });
    server.enqueue({ text: 'Noted.' });
    await cairn.gateway.receive(cairn.adapter.message('', { attachments: ['a voice message'], files: [voice] }));
    expect(server.transcriptionRequests()).toHaveLength(1);
    expect(cairn.adapter.texts()).toEqual(['Noted.']);
    const asked = lastAsked();
    expect(asked).toMatch(/^\[voice message, transcribed, [\d,]+ characters, shortened to its start and end; attachment #1\]\nPoint 1 of the minutes is noted\.\n/);
    expect(asked).toMatch(/left out; read_attachment #1 reads them …\]/);
    expect(asked).not.toContain('roof');
    expect(asked.length).toBeLessThanOrEqual(4000);

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1, find: 'budget' } }] }, { text: '42,000 euros.' });
    await cairn.gateway.receive(cairn.adapter.message('what was the roof budget?'));
    expect(lastToolResult()).toBe('1 line(s) of attachment #1 (voice.ogg) contain "budget"; read around one with start_line:\n151: The budget for the roof is 42,000 euros.');
  });

  it('over the room the context leaves is shortened too, not refused', async () => {
    await start('agent:\n  maxInputChars: 100000\n', { CAIRN_CONTEXT_TOKENS: '8000' });
    const meeting = Array.from({ length: 2_000 }, (_, i) => `Item ${i + 1} was discussed by the team.`).join(' ');
    server.enqueueTranscription({ text: meeting });
    server.enqueue({ text: 'A long meeting.' });
    await cairn.gateway.receive(cairn.adapter.message('summarize', { attachments: ['a voice message'], files: [voice] }));
    expect(cairn.adapter.texts()).toEqual(['A long meeting.']);
    expect(lastAsked()).toMatch(/^summarize\n\n\[voice message, transcribed, [\d,]+ characters, shortened to its start and end; attachment #1\]\n/);
  });

  it('a short one still reads as the person typed it, and is not kept', async () => {
    await start('agent:\n  maxInputChars: 4000\n');
    server.enqueueTranscription({ text: 'Book a table for two.' });
    server.enqueue({ text: 'Booked.' });
    await cairn.gateway.receive(cairn.adapter.message('', { attachments: ['a voice message'], files: [voice] }));
    expect(lastAsked()).toBe('[voice message, transcribed] Book a table for two.');
  });
});

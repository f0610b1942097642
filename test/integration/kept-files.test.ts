/**
 * Kept files: a long document is shortened in the message, kept whole, and the agent
 * reads on with read_attachment (by lines or by searching); an image is looked at again
 * with look_at_image and a new question. Only the conversation it was sent in finds a
 * file, and files are dropped after CAIRN_KEEP_FILES_DAYS.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';

let server: FakeModelServer;
let cairn: TestCairn;

beforeEach(async () => {
  server = await startFakeModelServer();
  const dir = tempDir();
  writeFileSync(join(dir, 'cairn.yaml'), 'agent:\n  maxInputChars: 4000\n');
  // Sessions never go idle here: an ended one's note extraction would take the model's queued replies.
  cairn = startTestCairn(testConfig(server.url, { CAIRN_CONFIG: join(dir, 'cairn.yaml'), CAIRN_REFLECTION: 'off', CAIRN_VISION_MODEL: 'vision-model', CAIRN_KEEP_FILES_DAYS: '7', CAIRN_SESSION_IDLE_MINUTES: '100000' }));
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

function sent(fileName: string, contentType: string, content: string | Buffer): InboundFile {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { label: `a file (${fileName})`, fileName, contentType, size: bytes.length, load: async () => bytes };
}

function withFile(text: string, file: InboundFile, overrides: Partial<InboundMessage> = {}): InboundMessage {
  return cairn.adapter.message(text, { attachments: [file.label], files: [file], ...overrides });
}

/** What the model was given as the result of its last tool call. */
function lastToolResult(): string {
  const messages = server.chatRequests().at(-1)?.messages as { role: string; content: string }[];
  return messages.filter((message) => message.role === 'tool').at(-1)?.content ?? '';
}

// 2,000 lines of about 30 characters: far over the 4,000-character input limit.
const log = Array.from({ length: 2_000 }, (_, i) => (i === 1_233 ? `line ${i + 1}: ERROR disk full on /var` : `line ${i + 1}: all good here`)).join('\n');

describe('kept files', () => {
  it('keeps a shortened document whole, and the agent reads on and searches it', async () => {
    server.enqueue({ text: 'It is long.' });
    await cairn.gateway.receive(withFile('what failed?', sent('app.log', 'text/plain', log)));
    const message = server.chatRequests()[0]?.messages.at(-1).content as string;
    expect(message).toContain(`[file (app.log), ${log.length.toLocaleString('en-US')} characters, shortened to its start and end; attachment #1]`);
    expect(message).toMatch(/left out; read_attachment #1 reads them …\]/);
    expect(message).not.toContain('ERROR');

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1, find: 'error' } }] }, { text: 'Disk full.' });
    await cairn.gateway.receive(cairn.adapter.message('look for errors'));
    expect(lastToolResult()).toBe('1 line(s) of attachment #1 (app.log) contain "error"; read around one with start_line:\n1234: line 1234: ERROR disk full on /var');

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1, start_line: 1_233 } }] }, { text: 'Read.' });
    await cairn.gateway.receive(cairn.adapter.message('read from there'));
    const read = lastToolResult();
    expect(read.split('\n')[0]).toBe('Attachment #1 (app.log), lines 1,233-1,871 of 2,000; read on with start_line 1872:');
    expect(read.split('\n')[2]).toBe('line 1234: ERROR disk full on /var');
    expect(read.length).toBeLessThanOrEqual(16_100);

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1, start_line: 1_990 } }] }, { toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1, start_line: 5_000 } }] }, { text: 'Done.' });
    await cairn.gateway.receive(cairn.adapter.message('the end'));
    const messages = server.chatRequests().at(-1)?.messages as { role: string; content: string }[];
    const [end, past] = messages.filter((m) => m.role === 'tool').slice(-2).map((m) => m.content);
    expect(end?.split('\n')[0]).toBe('Attachment #1 (app.log), lines 1,990-2,000 of 2,000; the end of the file:');
    expect(past).toContain('Attachment #1 (app.log) has 2,000 lines; start_line 5000 is past its end.');
  });

  it('looks at an image again with a new question, counted for the person who asks', async () => {
    server.enqueue({ text: 'A dashboard with three charts.', usage: { prompt_tokens: 300, completion_tokens: 10 } }, { text: 'A dashboard.' });
    const photo: InboundFile = { label: 'a photo', fileName: 'photo.png', contentType: 'image/png', size: 3, load: async () => Buffer.from('PNG') };
    await cairn.gateway.receive(cairn.adapter.message('', { attachments: ['a photo'], files: [photo] }));
    expect(server.chatRequests()[1]?.messages.at(-1).content).toBe('[photo, described by a vision model; attachment #1] A dashboard with three charts.');

    server.enqueue(
      { toolCalls: [{ name: 'look_at_image', arguments: { attachment: 1, question: 'What is the number in the top right corner?' } }] },
      { text: 'The top right corner shows 42%.', usage: { prompt_tokens: 300, completion_tokens: 8 } },
      { text: 'It is 42%.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('what is the number in the corner?'));
    const vision = server.chatRequests()[3];
    expect(vision?.model).toBe('vision-model');
    expect(vision?.messages[1].content[0].text).toBe('The user sent this image with the words: "What is the number in the top right corner?"');
    expect(vision?.messages[1].content[1].image_url.url).toBe(`data:image/png;base64,${Buffer.from('PNG').toString('base64')}`);
    expect(lastToolResult()).toBe('Attachment #1 (photo.png), looked at again:\nThe top right corner shows 42%.');
    expect(cairn.ledger.byPerson(0).find((row) => row.user === 'test:alice')?.calls).toBe(5);
  });

  it('finds a file only in the conversation it was sent in, and only for its days', async () => {
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(withFile('keep this', sent('notes.txt', 'text/plain', 'the code is 7781')));
    expect(server.chatRequests()[0]?.messages.at(-1).content).toBe('keep this\n\n[file (notes.txt); attachment #1]\nthe code is 7781\n[end of file (notes.txt)]');

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1 } }] }, { text: 'Not here.' });
    await cairn.gateway.receive(cairn.adapter.message('read attachment 1', { conversationId: 'test:dm:bob', userId: 'test:bob', senderId: 'bob', userName: 'bob' }));
    expect(lastToolResult()).toContain('There is no attachment #1 in this conversation: files are kept 7 days, and only where they were sent.');

    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1 } }] }, { text: 'Here.' });
    await cairn.gateway.receive(cairn.adapter.message('read attachment 1'));
    expect(lastToolResult()).toBe('Attachment #1 (notes.txt), lines 1-1 of 1; the end of the file:\nthe code is 7781');

    // Eight days on it is not read back, though nobody kept a file since (nothing had dropped it).
    cairn.manualClock.advance(8 * 24 * 60 * 60 * 1000);
    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1 } }] }, { text: 'Gone.' });
    await cairn.gateway.receive(cairn.adapter.message('read attachment 1 after its days'));
    expect(lastToolResult()).toContain('There is no attachment #1 in this conversation');

    // The next file kept drops it, and takes a number of its own (#2: a dropped number never comes back).
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(withFile('another', sent('b.txt', 'text/plain', 'b')));
    expect(server.chatRequests().at(-1)?.messages.at(-1).content).toContain('[file (b.txt); attachment #2]');
    server.enqueue({ toolCalls: [{ name: 'read_attachment', arguments: { attachment: 1 } }] }, { text: 'Gone.' });
    await cairn.gateway.receive(cairn.adapter.message('read attachment 1 again'));
    expect(lastToolResult()).toContain('There is no attachment #1 in this conversation');
    expect(cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get()).toEqual({ n: 1 });
  });

  it('drops files past their days at the start, and every file once none are kept (CAIRN_KEEP_FILES_DAYS=0)', async () => {
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(withFile('keep this', sent('notes.txt', 'text/plain', 'private')));
    const dataDir = cairn.config.dataDir;
    await cairn.close();
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_KEEP_FILES_DAYS: '0' }, dataDir));
    expect(cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get()).toEqual({ n: 0 });
  });

  it('drops the files a person sent with /forget all', async () => {
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(withFile('keep this', sent('notes.txt', 'text/plain', 'private')));
    await cairn.gateway.receive(cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' } }));
    expect(cairn.adapter.texts().at(-1)).toBe('You have no notes to delete. Also deleted the file you sent that I had kept. Our conversation starts afresh.');
    expect(cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get()).toEqual({ n: 0 });
  });

  it('keeps nothing of a message it refuses, and nothing at all with CAIRN_KEEP_FILES_DAYS=0', async () => {
    // A caption over the limit on its own: refused, so the file must not stay behind.
    await cairn.gateway.receive(withFile('x'.repeat(4_100), sent('a.txt', 'text/plain', 'a')));
    expect(cairn.adapter.texts().at(-1)).toMatch(/^Your message is [\d,]+ characters long with your file \(a\.txt\) in text; the limit is 4,000/);
    expect(cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get()).toEqual({ n: 0 });

    await cairn.close();
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_KEEP_FILES_DAYS: '0' }));
    server.enqueue({ text: 'ok' });
    await cairn.gateway.receive(withFile('read', sent('a.txt', 'text/plain', 'a')));
    expect(server.chatRequests().at(-1)?.messages.at(-1).content).toBe('read\n\n[file (a.txt)]\na\n[end of file (a.txt)]');
    expect(server.chatRequests().at(-1)?.tools?.map((tool: { function: { name: string } }) => tool.function.name)).not.toContain('read_attachment');
  });
});

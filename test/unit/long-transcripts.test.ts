/**
 * A long voice note (a dictation, a recorded meeting) is read as a document's text: kept and
 * numbered, a sentence a line, and shortened to its start and end when the message or the context
 * has no room for it all. It was joined into the message as typed words, so one over the limit was
 * refused after its transcription was paid for ("split it", which a recording cannot be), and
 * read_attachment could not reach it later. A short one still reads as the person's words.
 */
import { describe, expect, it } from 'vitest';
import { FileReader } from '../../src/core/file-reader.js';
import { KeptFiles } from '../../src/core/kept-files.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { openDatabase } from '../../src/store/db.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';

const signal = new AbortController().signal;
const context = { sessionId: 's', conversationId: 'test:1', userId: 'test:u', platform: 'test', isAdmin: false, signal, now: () => 0 };
const voice: InboundFile = { label: 'a voice message', fileName: 'voice.ogg', contentType: 'audio/ogg', size: 4, load: async () => Buffer.from('OggS') };

function voiceMessage(caption = ''): InboundMessage {
  return { platform: 'test', conversationId: 'test:1', userId: 'test:u', senderId: 'u', userName: 'u', text: caption, attachments: [voice.label], files: [voice], isDirect: true, isSelf: false, messageId: 'm1', receivedAt: new Date(0) };
}

function reader(transcript: string, maxInputChars = 100_000): { reader: FileReader; kept: KeptFiles } {
  const kept = new KeptFiles(openDatabase(':memory:'), { now: () => 0 }, 7);
  return { kept, reader: new FileReader({ maxInputChars, logger: silentLogger, keep: kept, transcriber: { model: 'whisper', transcribe: async () => transcript } }) };
}

async function textOf(read: Promise<InboundMessage | string>): Promise<string> {
  const result = await read;
  if (typeof result === 'string') throw new Error(`refused: ${result}`);
  return result.text;
}

describe('long transcripts', () => {
  it('keeps a short voice note as the person said it, unkept', async () => {
    const { reader: files, kept } = reader('Call me back. It is urgent.');
    expect(await textOf(files.read(voiceMessage('hi'), signal))).toBe('hi\n\n[voice message, transcribed] Call me back. It is urgent.');
    expect(kept.get(1, 'test:1')).toBeUndefined();
  });

  it('reads a long one that fits whole as a document, a sentence a line, kept under its number', async () => {
    const transcript = Array.from({ length: 200 }, (_, i) => `We agreed on step ${i + 1}.`).join(' ');
    const { reader: files, kept } = reader(transcript);
    const lines = Array.from({ length: 200 }, (_, i) => `We agreed on step ${i + 1}.`).join('\n');
    expect(await textOf(files.read(voiceMessage(), signal))).toBe(`[voice message, transcribed; attachment #1]\n${lines}\n[end of voice message]`);
    expect(kept.get(1, 'test:1')).toMatchObject({ name: 'voice.ogg', kind: 'text', text: lines });
  });

  it('shortens one over the input limit to its start and end, at sentences, and read_attachment reads the rest', async () => {
    const transcript = Array.from({ length: 400 }, (_, i) => (i === 200 ? 'The deadline moved to March.' : `Nothing new on item ${i + 1}.`)).join(' ');
    const { reader: files, kept } = reader(transcript, 5_000);
    const text = await textOf(files.read(voiceMessage('minutes please'), signal));
    expect(text.length).toBeLessThanOrEqual(5_000);
    expect(text).toMatch(/^minutes please\n\n\[voice message, transcribed, [\d,]+ characters, shortened to its start and end; attachment #1\]\nNothing new on item 1\.\n/);
    expect(text).toMatch(/\nNothing new on item \d+\.\n\[… [\d,]+ characters \([\d,]+ lines\) left out; read_attachment #1 reads them …\]\nNothing new on item \d+\.\n/);
    expect(text).not.toContain('March');
    const tool = readAttachmentTool(kept);
    expect(await tool.execute({ attachment: 1, find: 'deadline' }, context as never)).toBe(
      '1 line(s) of attachment #1 (voice.ogg) contain "deadline"; read around one with start_line:\n201: The deadline moved to March.',
    );
  });

  it('shortens one within the characters but over the tokens the context leaves', async () => {
    const transcript = Array.from({ length: 600 }, (_, i) => `Item ${i + 1} is done.`).join(' ');
    const { reader: files } = reader(transcript);
    const text = await textOf(files.read(voiceMessage(), signal, () => 1_000));
    expect(text).toMatch(/^\[voice message, transcribed, [\d,]+ characters, shortened to its start and end; attachment #1\]\n/);
  });

  it('counts a transcript in Chinese long by its tokens, and breaks it after its full stops', async () => {
    // 1,500 characters, under the character mark but far over a thousand tokens.
    const transcript = Array.from({ length: 100 }, (_, i) => `第${i + 1}项已经完成了。`).join('').padEnd(1_500, '好');
    const { reader: files } = reader(transcript);
    const text = await textOf(files.read(voiceMessage(), signal));
    expect(text.startsWith('[voice message, transcribed; attachment #1]\n第1项已经完成了。\n第2项已经完成了。\n')).toBe(true);
  });

  it('breaks speech that runs on without a sentence end at spaces, so find lists its lines whole', async () => {
    const words = Array.from({ length: 1_000 }, (_, i) => (i === 700 ? 'invoice' : `word${i}`));
    const { reader: files, kept } = reader(words.join(' '));
    await files.read(voiceMessage(), signal);
    const file = kept.get(1, 'test:1');
    const lines = file?.kind === 'text' ? file.text.split('\n') : [];
    expect(lines.join(' ')).toBe(words.join(' '));
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(300);
    const found = String(await readAttachmentTool(kept).execute({ attachment: 1, find: 'invoice' }, context as never));
    expect(found).toMatch(/^1 line\(s\) of attachment #1 \(voice\.ogg\) contain "invoice"; read around one with start_line:\n\d+: (\S+ )*invoice( \S+)*$/);
  });

  it('forgets a long transcript kept for a message refused after all (the typed words alone are too long)', async () => {
    const { reader: files, kept } = reader('Long. '.repeat(1_000).trim(), 3_000);
    expect(await files.read(voiceMessage('x'.repeat(2_900)), signal)).toMatch(/^Your message is [\d,]+ characters long with your voice message in text; the limit is 3,000\./);
    expect(kept.get(1, 'test:1')).toBeUndefined();
  });
});

/** Files people send: UTF-16 text with its byte-order mark, LibreOffice's repeated rows, and reading on inside a very long line. */
import { describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { FileReader } from '../../src/core/file-reader.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { readAttachmentTool } from '../../src/tools/attachment-tools.js';
import type { KeptFiles } from '../../src/core/kept-files.js';
import { officeText } from '../../src/core/documents/office-text.js';

const signal = new AbortController().signal;

function file(fileName: string, contentType: string | undefined, bytes: Uint8Array): InboundFile {
  return { label: `a file (${fileName})`, fileName, contentType, size: bytes.length, load: async () => bytes };
}
function message(files: InboundFile[]): InboundMessage {
  return { platform: 'test', conversationId: 'test:1', userId: 'test:u', senderId: 'u', userName: 'u', text: '', attachments: files.map((f) => f.label), files, isDirect: true, isSelf: false, messageId: 'm1', receivedAt: new Date(0) };
}

describe('text files people send', () => {
  it('reads a UTF-16LE log with a BOM (Windows PowerShell `> out.txt`, Notepad "Unicode")', async () => {
    const reader = new FileReader({ maxInputChars: 100_000, logger: silentLogger });
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Error: disk full\r\n', 'utf16le')]);
    const read = await reader.read(message([file('out.txt', 'text/plain', bytes)]), signal);
    expect(typeof read === 'string' ? read : read.text).toContain('Error: disk full');
  });
});

describe('read_attachment', () => {
  function keptWith(text: string): KeptFiles {
    return { days: 7, get: (id: number) => ({ id, name: 'data.json', kind: 'text', text }) } as unknown as KeptFiles;
  }
  const context = { sessionId: 's', conversationId: 'test:1', userId: 'u', platform: 'test', isAdmin: false, signal, now: () => 0 };

  it('does not call a file read to its end when a long line was cut', async () => {
    const text = `{"items":[${Array.from({ length: 3000 }, (_, i) => `{"id":${i},"name":"item ${i}"}`).join(',')}],"total":3000}`;
    const tool = readAttachmentTool(keptWith(text));
    const result = String(await tool.execute({ attachment: 1 }, context as never));
    // The model is told it has seen the whole file while most of the one line was cut.
    expect(result).not.toContain('the end of the file');
  });

  it('lets the model read the rest of a cut line from where it was cut', async () => {
    const text = `header\n${'x'.repeat(20_000)}TAIL\nlast`;
    const tool = readAttachmentTool(keptWith(text));
    const first = String(await tool.execute({ attachment: 1, start_line: 2 }, context as never));
    expect(first.split('\n')[0]).toBe('Attachment #1 (data.json), lines 2-2 of 3; line 2 is cut after 16,000 of its 20,004 characters: read on with start_line 2 and start_char 16001:');
    const [, line, char] = /start_line (\d+) and start_char (\d+)/.exec(first) ?? [];
    const second = String(await tool.execute({ attachment: 1, start_line: Number(line), start_char: Number(char) }, context as never));
    expect(second).toBe(`Attachment #1 (data.json), lines 2-3 of 3; the end of the file:\n${'x'.repeat(4_000)}TAIL\nlast`);
    await expect(Promise.resolve().then(() => tool.execute({ attachment: 1, start_line: 3, start_char: 9 }, context as never))).rejects.toThrow('start_char 9 is past its end');
  });
});

describe('OpenDocument spreadsheet', () => {
  it('keeps rows that LibreOffice writes once with number-rows-repeated', async () => {
    const ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
    const cell = (v: string) => `<table:table-cell office:value-type="string"><text:p>${v}</text:p></table:table-cell>`;
    const content = `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${ns}><office:body><office:spreadsheet><table:table table:name="Votes"><table:table-row>${cell('vote')}</table:table-row><table:table-row table:number-rows-repeated="3">${cell('yes')}</table:table-row><table:table-row>${cell('no')}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
    const bytes = zipSync({ mimetype: strToU8('application/vnd.oasis.opendocument.spreadsheet'), 'content.xml': strToU8(content) });
    const { text } = await officeText(bytes, 'ods');
    expect(text).toBe('[sheet "Votes"]\nvote\nyes\nyes\nyes\nno');
  });
});

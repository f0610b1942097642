/**
 * A PDF with typed pages and scanned ones (a signed contract with the signature page scanned
 * back in, a fax with a typed cover sheet): the scanned pages are read by the vision model in
 * their place, or marked as having no text. They came out as empty "[page N]" markers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FileReader } from '../../src/core/file-reader.js';
import { silentLogger } from '../../src/core/logger.js';
import { DocumentPool, type Documents } from '../../src/core/documents/pool.js';
import { scannedPageMark } from '../../src/core/documents/pdf-text.js';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import type { ImageDescriber } from '../../src/model/vision.js';
import { makePdf } from '../helpers/pdf.js';

const pool = new DocumentPool({ maxProcesses: 1 });
afterAll(() => pool.close());

function pdf(name: string, bytes: Buffer): InboundFile {
  return { label: `a file (${name})`, fileName: name, contentType: 'application/pdf', size: bytes.length, load: async () => bytes };
}

function message(text: string, file: InboundFile): InboundMessage {
  return { platform: 'test', conversationId: 'test:1', userId: 'test:u', senderId: 'u', userName: 'u', text, attachments: [file.label], files: [file], isDirect: true, isSelf: false, messageId: 'm1', receivedAt: new Date(0) };
}

describe('a PDF part typed, part scanned', () => {
  it('has the vision model read the scanned page', async () => {
    const asked: string[] = [];
    const describer: ImageDescriber = {
      model: 'vision',
      describe: async (_image, mimeType) => {
        asked.push(mimeType);
        return 'Signed by J. Doe on 3 March 2026.';
      },
    };
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger, describer, documents: pool });
    const contract = pdf('contract.pdf', makePdf([['Lease agreement', 'Rent: 1,200 EUR a month'], []]));
    const read = await reader.read(message('who signed it, and when?', contract), new AbortController().signal);
    expect(typeof read).toBe('object');
    const text = typeof read === 'string' ? read : read.text;
    expect(asked).toEqual(['image/png']);
    expect(text).toBe(
      'who signed it, and when?\n\n[file (contract.pdf), the text of its 2 pages, with scanned pages described]\n[page 1]\nLease agreement\nRent: 1,200 EUR a month\n\n[page 2, a scan described by a vision model]\nSigned by J. Doe on 3 March 2026.\n[end of file (contract.pdf)]',
    );
  });

  it('without a vision model, says which pages have no text instead of showing them as empty', async () => {
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger, documents: pool });
    const contract = pdf('contract.pdf', makePdf([['Lease agreement', 'Rent: 1,200 EUR a month'], []]));
    const read = await reader.read(message('who signed it?', contract), new AbortController().signal);
    const text = typeof read === 'string' ? read : read.text;
    expect(text).toContain('[page 1]\nLease agreement\nRent: 1,200 EUR a month\n\n[page 2: no text layer (a scan?)]\n[end of file (contract.pdf)]');
  });
});

describe('a scanned page whose description holds dollar signs', () => {
  /** A two-page PDF whose second page is a scan, read without a child process. */
  const documents: Documents = {
    pdfText: async () => ({ text: `[page 1]\nDeploy runbook\n\n${scannedPageMark(2)}`, pages: 2, emptyPages: [2] }),
    pdfPageImages: async () => [new Uint8Array([1, 2, 3])],
    officeText: async () => {
      throw new Error('not used');
    },
    htmlText: async () => {
      throw new Error('not used');
    },
  };
  // `$$`, `$&`, `` $` `` and `$'` are replacement patterns to String.prototype.replace with a string.
  const script = "#!/bin/sh\necho \"pid $$\" > /tmp/lock.$$\nprintf $'done\\n'\nsed 's/x/[$&]/' `cat list`";

  it("puts the vision model's words in the page's place exactly as written", async () => {
    const describer: ImageDescriber = { model: 'vision', describe: async () => script };
    const reader = new FileReader({ maxInputChars: 10_000, logger: silentLogger, describer, documents });
    const read = await reader.read(message('what does page 2 do?', pdf('runbook.pdf', Buffer.from('%PDF-1.4'))), new AbortController().signal);
    const text = typeof read === 'string' ? read : read.text;
    expect(text).toContain(`[page 2, a scan described by a vision model]\n${script}\n[end of file (runbook.pdf)]`);
  });
});

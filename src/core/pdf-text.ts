/**
 * The text of a PDF, page by page, with pdf.js (Mozilla's PDF engine, its build for
 * Node; loaded on first use, since it is large). Only the text layer is read: a scan
 * has none, and is said to be one.
 */
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { CairnError } from './errors.js';

/** Pages read at most; the rest are named as left out. */
const MAX_PAGES = 500;

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | undefined;

export interface PdfText {
  text: string;
  pages: number;
}

export async function pdfText(bytes: Uint8Array, signal?: AbortSignal): Promise<PdfText> {
  const { getDocument } = await (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
  // pdf.js takes ownership of the buffer it is given: a copy keeps the caller's intact.
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 });
  let document;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = (error as { name?: string } | null)?.name;
    if (name === 'PasswordException') throw new CairnError('invalid_input', 'it is password-protected');
    throw new CairnError('invalid_input', `it is not a readable PDF (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    const pages: string[] = [];
    const count = Math.min(document.numPages, MAX_PAGES);
    for (let number = 1; number <= count; number++) {
      if (signal?.aborted) throw signal.reason;
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      const text = content.items.map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : '')).join('');
      pages.push(document.numPages > 1 ? `[page ${number}]\n${text.trim()}` : text.trim());
      page.cleanup();
    }
    if (document.numPages > count) pages.push(`[pages ${count + 1}-${document.numPages} left out]`);
    const text = pages.join('\n\n').trim();
    if (text.replace(/\[page \d+\]/g, '').trim() === '') throw new CairnError('invalid_input', 'it has no text layer (a scan?); send the pages as images, or the text');
    return { text, pages: document.numPages };
  } finally {
    await document.destroy();
  }
}

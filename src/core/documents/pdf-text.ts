/**
 * The text of a PDF, page by page, with pdf.js (Mozilla's PDF engine, its build for
 * Node; loaded on first use, since it is large). A scan has no text layer: its pages
 * can be drawn as PNG images (@napi-rs/canvas) for a vision model to read.
 */
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import type * as CanvasModule from '@napi-rs/canvas';
import { CairnError } from '../errors.js';

/** Pages read at most; the rest are named as left out. */
const MAX_PAGES = 500;

type PdfJs = typeof PdfJsModule;
type RenderParameters = Parameters<PdfJsModule.PDFPageProxy['render']>[0];
let pdfjs: Promise<PdfJs> | undefined;
let canvas: Promise<typeof CanvasModule> | undefined;
/** Pages drawn no wider than this: enough for a vision model to read a page's text. */
const PAGE_WIDTH_PX = 1_600;

export interface PdfText {
  text: string;
  pages: number;
  /**
   * Pages without a text layer in a PDF that has text elsewhere (a signature page scanned back
   * in): marked in `text` by `scannedPageMark(n)`, for a vision model to read where there is one.
   */
  emptyPages?: number[];
}

/** How a page without text shows in the text of a PDF that has text on other pages. */
export function scannedPageMark(page: number): string {
  return `[page ${page}: no text layer (a scan?)]`;
}

/** The text layer of every page (up to MAX_PAGES); `text` is empty for a scan. */
export async function pdfText(bytes: Uint8Array, signal?: AbortSignal): Promise<PdfText> {
  return withDocument(bytes, async (document) => {
    const pages: string[] = [];
    const emptyPages: number[] = [];
    const count = Math.min(document.numPages, MAX_PAGES);
    for (let number = 1; number <= count; number++) {
      if (signal?.aborted) throw signal.reason;
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      const text = content.items.map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : '')).join('').trim();
      if (text === '') emptyPages.push(number);
      pages.push(document.numPages === 1 ? text : text === '' ? scannedPageMark(number) : `[page ${number}]\n${text}`);
      page.cleanup();
    }
    if (document.numPages > count) pages.push(`[pages ${count + 1}-${document.numPages} left out]`);
    if (emptyPages.length === count) return { text: '', pages: document.numPages };
    return { text: pages.join('\n\n').trim(), pages: document.numPages, ...(emptyPages.length > 0 ? { emptyPages } : {}) };
  });
}

/** Pages drawn as PNG images, for a vision model: the first `pages` of them, or those listed. */
export async function pdfPageImages(bytes: Uint8Array, pages: number | readonly number[], signal?: AbortSignal): Promise<Uint8Array[]> {
  const { createCanvas } = await (canvas ??= import('@napi-rs/canvas'));
  return withDocument(bytes, async (document) => {
    const images: Uint8Array[] = [];
    const numbers = typeof pages === 'number' ? Array.from({ length: Math.min(document.numPages, pages) }, (_, i) => i + 1) : pages.filter((n) => n >= 1 && n <= document.numPages);
    for (const number of numbers) {
      if (signal?.aborted) throw signal.reason;
      const page = await document.getPage(number);
      const unscaled = page.getViewport({ scale: 1 });
      const viewport = page.getViewport({ scale: Math.min(3, PAGE_WIDTH_PX / unscaled.width) });
      const surface = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
      // pdf.js's types name the DOM's canvas; @napi-rs/canvas implements the same interface.
      // A white background: scans and drawings assume paper behind them, PNG would keep it transparent.
      const parameters = { canvasContext: surface.getContext('2d'), canvas: surface, viewport, background: '#ffffff' };
      await page.render(parameters as unknown as RenderParameters).promise;
      images.push(await surface.encode('png'));
      page.cleanup();
    }
    return images;
  });
}

async function withDocument<T>(bytes: Uint8Array, use: (document: PdfJsModule.PDFDocumentProxy) => Promise<T>): Promise<T> {
  const { getDocument } = await (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
  // pdf.js takes ownership of the buffer it is given: a copy keeps the caller's intact.
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 });
  let document: PdfJsModule.PDFDocumentProxy;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = (error as { name?: string } | null)?.name;
    if (name === 'PasswordException') throw new CairnError('invalid_input', 'it is password-protected; remove the password (or print it to a new PDF) and send it again');
    throw new CairnError('invalid_input', `it is not a readable PDF (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    return await use(document);
  } finally {
    await document.destroy();
  }
}

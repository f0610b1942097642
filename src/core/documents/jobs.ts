/**
 * What a document process does (pool.ts sends, child.ts runs): the reading that
 * costs seconds of CPU on a large file or page, which must not hold up every other conversation.
 */
import { officeText, type OfficeFormat, type OfficeText } from './office-text.js';
import { pdfPageImages, pdfText, type PdfText } from './pdf-text.js';
import { htmlText, type PageText } from '../../web/page-text.js';

export type Job =
  | { kind: 'pdf-text'; bytes: Uint8Array }
  | { kind: 'pdf-images'; bytes: Uint8Array; pages: number | readonly number[] }
  | { kind: 'office-text'; bytes: Uint8Array; format: OfficeFormat }
  // A web page's main text: Readability slows sharply with nesting (7 KB of nested <div>s took seconds).
  | { kind: 'html-text'; bytes: Uint8Array; contentType: string; url: string };

export interface JobResults {
  'pdf-text': PdfText;
  'pdf-images': Uint8Array[];
  'office-text': OfficeText;
  'html-text': PageText;
}

export type JobResult = JobResults[Job['kind']];

/** The answer a process sends: the result, or the error as plain data (a CairnError keeps its code). */
export type JobAnswer = { ok: true; result: JobResult } | { ok: false; error: { message: string; code?: string } };

export function runJob(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'pdf-text':
      return pdfText(job.bytes);
    case 'pdf-images':
      return pdfPageImages(job.bytes, job.pages);
    case 'office-text':
      return officeText(job.bytes, job.format);
    case 'html-text':
      return htmlText(job.bytes, job.contentType, job.url);
  }
}

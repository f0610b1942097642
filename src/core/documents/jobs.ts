/**
 * What a document process does (pool.ts sends, child.ts runs): the reading that
 * costs seconds of CPU on a large file, which must not hold up every other conversation.
 */
import { officeText, type OfficeFormat, type OfficeText } from './office-text.js';
import { pdfPageImages, pdfText, type PdfText } from './pdf-text.js';

export type Job = { kind: 'pdf-text'; bytes: Uint8Array } | { kind: 'pdf-images'; bytes: Uint8Array; pages: number | readonly number[] } | { kind: 'office-text'; bytes: Uint8Array; format: OfficeFormat };

export interface JobResults {
  'pdf-text': PdfText;
  'pdf-images': Uint8Array[];
  'office-text': OfficeText;
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
  }
}

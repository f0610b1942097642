import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DocumentPool } from '../../src/core/documents/pool.js';
import { CairnError } from '../../src/core/errors.js';
import { makePdf } from '../helpers/pdf.js';
import { makeDocx, makeXlsx } from '../helpers/office.js';

const open: DocumentPool[] = [];
function pool(options: ConstructorParameters<typeof DocumentPool>[0] = {}): DocumentPool {
  const made = new DocumentPool(options);
  open.push(made);
  return made;
}
afterEach(() => {
  for (const made of open.splice(0)) made.close();
});

const running = () => new AbortController().signal;

/** A workbook whose reading takes seconds and hundreds of MB: 100,000 rows of ten cells. */
function bigWorkbook(): Buffer {
  return makeXlsx({ Big: Array.from({ length: 100_000 }, (_, i) => [`row ${i}`, i, i * 1.5, `text ${i % 100}`, true, 'a', 'b', 'c', 'd', 'e']) });
}

describe('DocumentPool', () => {
  it('reads PDFs and Office files in a child process, and keeps the caller’s bytes', async () => {
    const reader = pool();
    const pdf = makePdf([['Invoice 7'], ['Total 12 EUR']]);
    const copy = Buffer.from(pdf);
    expect(await reader.pdfText(pdf, running())).toEqual({ text: '[page 1]\nInvoice 7\n\n[page 2]\nTotal 12 EUR', pages: 2 });
    expect(pdf.equals(copy)).toBe(true);
    const [image] = await reader.pdfPageImages(makePdf([[]]), 1, running());
    expect(Buffer.from(image!).subarray(1, 4).toString()).toBe('PNG');
    expect(await reader.officeText(makeDocx(['Hello']), 'docx', running())).toEqual({ text: 'Hello', about: 'its text' });
  });

  it("passes on a file's problem as the CairnError it was, and the process reads on", async () => {
    const reader = pool({ maxProcesses: 1 });
    const error = await reader.pdfText(Buffer.from('not a pdf'), running()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^it is not a readable PDF/) });
    expect((await reader.officeText(makeDocx(['Still here']), 'docx', running())).text).toBe('Still here');
  });

  it('starts a fresh process for the next file when the idle one died meanwhile (the OOM killer, a crash)', async () => {
    const reader = pool({ maxProcesses: 1, timeLimitMs: 60_000 });
    expect((await reader.officeText(makeDocx(['first']), 'docx', running())).text).toBe('first');
    const [idle] = [...(reader as unknown as { idle: Set<{ child: ChildProcess }> }).idle];
    const closed = new Promise((resolve) => idle!.child.once('close', resolve));
    idle!.child.kill('SIGKILL');
    await closed;
    expect((await reader.officeText(makeDocx(['second']), 'docx', running())).text).toBe('second');
  });

  it('ends a process that reads past its time limit, and starts a fresh one for the next file', async () => {
    // Starting a process and loading a PDF engine alone takes far longer than 1 ms.
    const reader = pool({ timeLimitMs: 1, maxProcesses: 1 });
    await expect(reader.pdfText(makePdf([['slow']]), running())).rejects.toThrow('reading it takes longer than the 1 ms I allow for one file; send a smaller part');
    const patient = pool({ maxProcesses: 1 });
    expect((await patient.pdfText(makePdf([['quick']]), running())).text).toBe('quick');
  });

  it('ends a process that runs out of its memory, with an answer for the user, and Cairn goes on', async () => {
    const reader = pool({ memoryLimitMb: 48 });
    const error = await reader.officeText(bigWorkbook(), 'xlsx', running()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).message).toBe('reading it takes more than the 48 MB of memory I allow for one file; send a smaller part');
  });

  it('stops a file being read, and one waiting for a process, when asked', async () => {
    const reader = pool({ maxProcesses: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const reading = reader.officeText(bigWorkbook(), 'xlsx', first.signal);
    const waiting = reader.officeText(makeDocx(['never read']), 'docx', second.signal);
    const third = reader.officeText(makeDocx(['read after']), 'docx', running());
    second.abort(new Error('stopped while waiting'));
    await expect(waiting).rejects.toThrow('stopped while waiting');
    first.abort(new Error('stopped while reading'));
    await expect(reading).rejects.toThrow('stopped while reading');
    expect((await third).text).toBe('read after');
  });
});

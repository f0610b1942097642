/**
 * Word documents whose zip directory understates what a part unpacks to: a zip bomb that lies
 * to get past the check on declared sizes (office-text.ts), and must still be stopped before
 * it is unpacked, within the memory a document process is allowed.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { officeText } from '../../src/core/documents/office-text.js';
import { CairnError } from '../../src/core/errors.js';
import { makeDocx } from '../helpers/office.js';
import { lyingArchive, type LyingPart } from '../helpers/lying-zip.js';

const run = promisify(execFile);
const READ_IN_CHILD = join(import.meta.dirname, '../helpers/read-office-file.mjs');

const DOCUMENT_START = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>';
const DOCUMENT_END = '</w:t></w:r></w:p></w:body></w:document>';
const MEGABYTE = 1024 * 1024;

/** One paragraph of `megabytes` MB of "a" in word/document.xml, which the directory says is 1,000 bytes unless told otherwise. */
function wordBomb(megabytes: number, claimedSize?: number): Buffer {
  const part: LyingPart = { name: 'word/document.xml', prefix: DOCUMENT_START, megabytes, suffix: DOCUMENT_END };
  return lyingArchive(makeDocx(['x']), claimedSize === undefined ? part : { ...part, claimedSize });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const BOMB_REFUSAL = 'it unpacks to more than its zip directory says (word/document.xml: over 1,000 bytes), which is how a zip bomb hides its size; I do not open it';

describe('a Word document whose zip directory understates what it unpacks to', () => {
  it('is refused as a zip bomb, with the reason, after unpacking no more than it declares', async () => {
    const bomb = wordBomb(400);
    // 400 MB in a file of ~400 KB, which the check of declared sizes let through.
    expect(bomb.length).toBeLessThan(MEGABYTE);
    const error = await failure(officeText(bomb, 'docx'));
    expect(error).toBeInstanceOf(CairnError);
    expect(error.message).toBe(BOMB_REFUSAL);
  });

  it('stays within the memory a document process is allowed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bomb-')), 'bomb.docx');
    writeFileSync(path, wordBomb(400));
    // As DocumentPool forks a reader: a 128 MB heap, which does not cover the Buffers mammoth's JSZip unpacked into.
    const { stdout } = await run(process.execPath, ['--max-old-space-size=128', READ_IN_CHILD, path, 'docx'], { maxBuffer: 1 << 20 });
    const { outcome, peakMb } = JSON.parse(stdout) as { outcome: string; peakMb: number };
    // It peaked near 500 MB, after unpacking all 400 MB; reading a small document takes under 100.
    expect(peakMb).toBeLessThan(200);
    expect(outcome).toBe(BOMB_REFUSAL);
  });

  it('reads the same part when the directory tells its true size, and calls one that unpacks to less damaged', async () => {
    const trueSize = DOCUMENT_START.length + 2 * MEGABYTE + DOCUMENT_END.length;
    const honest = await officeText(wordBomb(2, trueSize), 'docx');
    expect(honest.text).toBe('a'.repeat(2 * MEGABYTE));
    const error = await failure(officeText(wordBomb(2, trueSize + 1), 'docx'));
    expect(error).toBeInstanceOf(CairnError);
    const [real, declared] = [trueSize, trueSize + 1].map((size) => size.toLocaleString('en-US'));
    expect(error.message).toBe(`it is not a readable Word document (a damaged zip archive: word/document.xml unpacks to ${real} bytes, not the ${declared} its directory says)`);
  });
});

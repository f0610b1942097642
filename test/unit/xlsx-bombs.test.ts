/**
 * Excel workbooks whose zip directory understates what a sheet unpacks to, the sheet written
 * as streaming writers write one: its sizes in a data descriptor after it, none in its local
 * header. read-excel-file reads the local headers, so it unpacked such a part into Buffers
 * without any limit, outside the heap limit of a document process: a 2 MB workbook took a
 * process held to 128 MB of heap past 4 GB. A workbook now reaches it rebuilt from parts
 * unpacked no further than the directory declares, as a Word document reaches mammoth.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { officeText } from '../../src/core/documents/office-text.js';
import { makeXlsx } from '../helpers/office.js';

const run = promisify(execFile);
const READ_IN_CHILD = join(import.meta.dirname, '../helpers/read-office-file.mjs');
const MEGABYTE = 1024 * 1024;

/** A zip written as streaming writers write one: each part's sizes in a data descriptor after it, none in its local header. The directory claims `claimed` for `bombName`. */
function streamedZip(parts: Record<string, Uint8Array>, bombName: string, bomb: Buffer, claimed: number): Buffer {
  const chunks: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, raw] of Object.entries({ ...parts, [bombName]: new Uint8Array() })) {
    const packed = name === bombName ? bomb : deflateRawSync(raw);
    const size = name === bombName ? claimed : raw.length;
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x08, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(nameBytes.length, 26);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(packed.length, 8);
    descriptor.writeUInt32LE(size, 12);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x08, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(size, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    directory.push(entry, nameBytes);
    chunks.push(local, nameBytes, packed, descriptor);
    offset += local.length + nameBytes.length + packed.length + descriptor.length;
  }
  const dir = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(directory.length / 2, 8);
  end.writeUInt16LE(directory.length / 2, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, dir, end]);
}

function workbookBomb(megabytes: number): Buffer {
  const parts = unzipSync(makeXlsx({ Sheet1: [['x']] }));
  const start = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>';
  // One deflate stream without flushes: fflate, which looks for formula errors first, throws at the empty stored block a flush writes.
  const bomb = deflateRawSync(Buffer.concat([Buffer.from(start), Buffer.alloc(megabytes * MEGABYTE, 0x61), Buffer.from('</t></is></c></row></sheetData></worksheet>')]), { level: 1 });
  // A streaming reader finds the end of the part by the data descriptor's signature.
  expect(bomb.includes(Buffer.from([0x50, 0x4b, 0x07, 0x08]))).toBe(false);
  return streamedZip(parts, 'xl/worksheets/sheet1.xml', bomb, 1_000);
}

describe('an Excel workbook whose sheet is written with a data descriptor', () => {
  it('is read when its directory tells the truth', async () => {
    const parts = unzipSync(makeXlsx({ Sheet1: [['x', 1]] }));
    const sheet = parts['xl/worksheets/sheet1.xml'] as Uint8Array;
    const zip = streamedZip(parts, 'xl/worksheets/sheet1.xml', deflateRawSync(sheet), sheet.length);
    expect((await officeText(zip, 'xlsx')).text).toBe('[sheet "Sheet1"]\nx,1');
  });

  it('is refused as a zip bomb when its directory understates the sheet, within the memory a document process is allowed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bomb-')), 'bomb.xlsx');
    writeFileSync(path, workbookBomb(400));
    // As DocumentPool forks a reader: a 128 MB heap, which does not cover the Buffers read-excel-file unpacked into.
    const { stdout } = await run(process.execPath, ['--max-old-space-size=128', READ_IN_CHILD, path, 'xlsx'], { maxBuffer: 1 << 20 });
    const { outcome, peakMb } = JSON.parse(stdout) as { outcome: string; peakMb: number };
    // It ran out of heap after unpacking all 400 MB (a 2,000 MB bomb of 2 MB peaked past 4 GB).
    expect(outcome).toBe('it unpacks to more than its zip directory says (xl/worksheets/sheet1.xml: over 1,000 bytes), which is how a zip bomb hides its size; I do not open it');
    expect(peakMb).toBeLessThan(200);
  }, 60_000);
});

/**
 * The text of Word, Excel and PowerPoint files people send: Word documents through
 * mammoth (with their line breaks and notes: docx-text.ts), workbooks through
 * read-excel-file (every sheet as CSV, dates and times as Excel shows them: xlsx-dates.ts),
 * presentations slide by slide with their speaker notes (pptx-text.ts); and their
 * OpenDocument counterparts (odf-text.ts). All of them are zip archives of XML; before any
 * is opened, its directory is read (fflate) to refuse a file that would unpack to far more
 * than it weighs. A Word document reaches mammoth, and a workbook read-excel-file, rebuilt
 * from parts held to the sizes that directory declares (zip-as-declared.ts): mammoth's JSZip
 * unpacks a part whole before it compares sizes, and read-excel-file trusts each part's local
 * header, which may leave the size out. The libraries (and docx-text.ts, pptx-text.ts) load
 * on first use: together they take longer to load than Cairn takes to start.
 * The old binary formats (.doc, .xls, .ppt) and password-protected files are named as
 * such, with what to send instead.
 */
import { extname } from 'node:path';
import type { InboundFile } from '../message.js';
import { CairnError } from '../errors.js';
import { withFormulaErrorsAsText } from './xlsx-errors.js';
import { dateCellText, dayZeroOf } from './xlsx-dates.js';
import { rebuiltAsDeclared } from './zip-as-declared.js';

export type OfficeFormat = 'docx' | 'xlsx' | 'pptx' | 'odt' | 'ods' | 'odp' | 'doc' | 'xls' | 'ppt';

export interface OfficeText {
  text: string;
  /** What the text is of, e.g. `3 sheets`. */
  about: string;
}

/** The most a file may unpack to: far above any real document of the 20 MB Cairn downloads, far below a zip bomb. */
const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

const OOXML = 'application/vnd.openxmlformats-officedocument.';
const FORMAT_BY_TYPE: Record<string, OfficeFormat> = {
  [`${OOXML}wordprocessingml.document`]: 'docx',
  [`${OOXML}spreadsheetml.sheet`]: 'xlsx',
  [`${OOXML}presentationml.presentation`]: 'pptx',
  'application/vnd.ms-word.document.macroenabled.12': 'docx',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'xlsx',
  'application/vnd.ms-powerpoint.presentation.macroenabled.12': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
};
const FORMAT_BY_EXTENSION: Record<string, OfficeFormat> = { docx: 'docx', docm: 'docx', xlsx: 'xlsx', xlsm: 'xlsx', pptx: 'pptx', pptm: 'pptx', odt: 'odt', ods: 'ods', odp: 'odp', doc: 'doc', xls: 'xls', ppt: 'ppt' };
/** What platforms send for a file they do not recognize (an Office file is a zip archive). */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'application/zip', 'application/x-zip-compressed', 'binary/octet-stream']);

/** The Office format of a file, from its MIME type or else its name; undefined for anything else. */
export function officeFormat(file: Pick<InboundFile, 'fileName' | 'contentType'>): OfficeFormat | undefined {
  const type = file.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const byType = FORMAT_BY_TYPE[type];
  const extension = extname(file.fileName).slice(1).toLowerCase();
  // Windows labels CSV files application/vnd.ms-excel: an old-format type yields to a name that says otherwise.
  if (byType === 'doc' || byType === 'xls' || byType === 'ppt') return extension === '' ? byType : FORMAT_BY_EXTENSION[extension];
  if (byType) return byType;
  return GENERIC_TYPES.has(type) ? FORMAT_BY_EXTENSION[extension] : undefined;
}

const NAMES: Record<OfficeFormat, string> = {
  docx: 'Word document',
  xlsx: 'Excel workbook',
  pptx: 'PowerPoint presentation',
  odt: 'OpenDocument text',
  ods: 'OpenDocument spreadsheet',
  odp: 'OpenDocument presentation',
  doc: 'Word document',
  xls: 'Excel workbook',
  ppt: 'PowerPoint presentation',
};

/** The text of an Office file; a CairnError (invalid_input) saying why when there is none to read. */
export async function officeText(bytes: Uint8Array, format: OfficeFormat, signal?: AbortSignal): Promise<OfficeText> {
  if (format === 'doc' || format === 'xls' || format === 'ppt') {
    throw new CairnError('invalid_input', `it is in the old binary ${NAMES[format]} format (.${format}), which I do not read; save it as .${format}x or PDF and send it again`);
  }
  await checkArchive(bytes, format);
  signal?.throwIfAborted();
  let result: OfficeText;
  try {
    if (format === 'docx') result = await (await import('./docx-text.js')).documentText(rebuiltAsDeclared(bytes));
    else if (format === 'xlsx') result = await workbookText(bytes);
    else if (format === 'pptx') result = (await import('./pptx-text.js')).presentationText(bytes);
    else result = (await import('./odf-text.js')).odfText(bytes, format);
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('invalid_input', `it is not a readable ${NAMES[format]} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  signal?.throwIfAborted();
  if (result.text.trim() === '') throw new CairnError('invalid_input', `the ${NAMES[format]} has no text in it (only pictures?)`);
  return result;
}

/** Refuses what is not a zip archive, or would unpack to more than MAX_UNPACKED_BYTES, from its directory alone. */
async function checkArchive(bytes: Uint8Array, format: OfficeFormat): Promise<void> {
  // Office encrypts a password-protected file into an OLE compound file (the old formats' container) instead of a zip.
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    throw new CairnError('invalid_input', `it is password-protected (or in the old binary format under a new name); remove the password, or save it as PDF, and send it again`);
  }
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new CairnError('invalid_input', `it is not ${/^[AEIOU]/.test(NAMES[format]) ? 'an' : 'a'} ${NAMES[format]} (not the zip archive that a .${format} file is)`);
  const { unzipSync } = await import('fflate');
  let unpacked = 0;
  try {
    // Returning false for every entry reads the directory without inflating anything.
    unzipSync(bytes, {
      filter: (entry) => {
        unpacked += entry.originalSize;
        return false;
      },
    });
  } catch (error) {
    throw new CairnError('invalid_input', `it is not a readable ${NAMES[format]} (a damaged zip archive: ${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (unpacked > MAX_UNPACKED_BYTES) {
    throw new CairnError('invalid_input', `it would unpack to ${Math.round(unpacked / 1024 / 1024).toLocaleString('en-US')} MB, more than I open; send the part that matters`);
  }
}

async function workbookText(bytes: Uint8Array): Promise<OfficeText> {
  const { default: readXlsxFile } = await import('read-excel-file/node');
  // Rebuilt as declared, as a Word document is: read-excel-file unpacks a part written with a data descriptor (no sizes in
  // its local header, as streaming writers leave them) into Buffers without any limit, which the heap limit does not cover.
  const workbook = withFormulaErrorsAsText(rebuiltAsDeclared(bytes));
  const all = await readXlsxFile(Buffer.from(workbook.buffer, workbook.byteOffset, workbook.byteLength));
  const dayZero = dayZeroOf(workbook);
  // A chart moved to a sheet of its own comes with no data: it is named, not read (its `data.map` failed the whole workbook).
  const charts = all.filter(({ data }) => !Array.isArray(data)).map(({ sheet }) => `[sheet "${sheet}": a chart]`);
  const sheets = all.filter(({ data }) => Array.isArray(data));
  const text = sheets.map(({ sheet, data }) => {
    const rows = data.map((row) => trimEnd(row, (cell) => cell === null || cell === '').map((cell) => csvField(cellText(cell, dayZero))).join(','));
    const filled = trimEnd(rows, (row) => row === '');
    return filled.length > 0 ? `[sheet "${sheet}"]\n${filled.join('\n')}` : `[sheet "${sheet}": empty]`;
  });
  return { text: sheets.some(({ data }) => data.length > 0) ? [...text, ...charts].join('\n\n') : '', about: `${sheets.length === 1 ? 'its sheet' : `its ${sheets.length} sheets`} as CSV` };
}

/** A cell as a spreadsheet shows it: dates without a midnight time, times as times, numbers without binary floating-point noise. */
function cellText(cell: unknown, dayZero: number): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return dateCellText(cell, dayZero);
  if (typeof cell === 'number') return String(Number(cell.toPrecision(15)));
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  return String(cell);
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** `items` without the empty ones at its end. */
export function trimEnd<T>(items: T[], isEmpty: (item: T) => boolean): T[] {
  let end = items.length;
  while (end > 0 && isEmpty(items[end - 1] as T)) end--;
  return items.slice(0, end);
}

/**
 * Minimal, valid Office files built in memory (zip archives of the XML parts Word, Excel
 * and PowerPoint write, reduced to what a reader needs), so tests need no binary fixtures.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';

const RELATIONSHIP = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function contentTypes(overrides: Record<string, string>): string {
  const parts = Object.entries(overrides).map(([part, type]) => `<Override PartName="/${part}" ContentType="${type}"/>`);
  return `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${parts.join('')}</Types>`;
}

function relationships(entries: [id: string, type: string, target: string][]): string {
  const items = entries.map(([id, type, target]) => `<Relationship Id="${id}" Type="${RELATIONSHIP}/${type}" Target="${target}"/>`);
  return `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items.join('')}</Relationships>`;
}

function zip(parts: Record<string, string>): Buffer {
  const files: Zippable = {};
  for (const [name, xml] of Object.entries(parts)) files[name] = strToU8(xml);
  return Buffer.from(zipSync(files));
}

/** A Word document: one paragraph per entry (a string), or a table (rows of cells). */
export function makeDocx(blocks: (string | string[][])[]): Buffer {
  const paragraph = (text: string) => `<w:p><w:r><w:t xml:space="preserve">${escape(text)}</w:t></w:r></w:p>`;
  const body = blocks.map((block) => (typeof block === 'string' ? paragraph(block) : `<w:tbl>${block.map((row) => `<w:tr>${row.map((cell) => `<w:tc>${paragraph(cell)}</w:tc>`).join('')}</w:tr>`).join('')}</w:tbl>`));
  return zip({
    '[Content_Types].xml': contentTypes({ 'word/document.xml': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml' }),
    '_rels/.rels': relationships([['rId1', 'officeDocument', 'word/document.xml']]),
    'word/document.xml': `${XML}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body.join('')}</w:body></w:document>`,
  });
}

/** A cell: text, a number, a boolean, or a date (stored as Excel stores one: a day count with a date format). */
export type Cell = string | number | boolean | Date | null;

/** An Excel workbook with the given sheets, rows of cells each. */
export function makeXlsx(sheets: Record<string, Cell[][]>): Buffer {
  const names = Object.keys(sheets);
  const column = (index: number) => String.fromCharCode(65 + index);
  const cell = (value: Cell, ref: string) => {
    if (value === null) return '';
    if (typeof value === 'string') return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escape(value)}</t></is></c>`;
    if (typeof value === 'boolean') return `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
    // Excel counts days from 1899-12-30; style 1 below is numFmtId 14, a date.
    if (value instanceof Date) return `<c r="${ref}" s="1"><v>${value.getTime() / 86_400_000 + 25_569}</v></c>`;
    return `<c r="${ref}"><v>${value}</v></c>`;
  };
  const parts: Record<string, string> = {
    '[Content_Types].xml': contentTypes({
      'xl/workbook.xml': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
      ...Object.fromEntries(names.map((_, index) => [`xl/worksheets/sheet${index + 1}.xml`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml'])),
    }),
    '_rels/.rels': relationships([['rId1', 'officeDocument', 'xl/workbook.xml']]),
    'xl/workbook.xml': `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${RELATIONSHIP}"><sheets>${names.map((name, index) => `<sheet name="${escape(name)}" sheetId="${index + 1}" r:id="rId${index + 1}"/>`).join('')}</sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': relationships([...names.map((_, index): [string, string, string] => [`rId${index + 1}`, 'worksheet', `worksheets/sheet${index + 1}.xml`]), [`rId${names.length + 1}`, 'styles', 'styles.xml']]),
    'xl/styles.xml': `${XML}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
  };
  names.forEach((name, index) => {
    const rows = (sheets[name] ?? []).map((row, r) => `<row r="${r + 1}">${row.map((value, c) => cell(value, `${column(c)}${r + 1}`)).join('')}</row>`);
    parts[`xl/worksheets/sheet${index + 1}.xml`] = `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`;
  });
  return zip(parts);
}

export interface Slide {
  /** Paragraphs of the slide; a `\n` inside one is a line break within it. */
  lines: string[];
  notes?: string[];
  hidden?: boolean;
}

/**
 * A PowerPoint presentation. The slides' files are numbered in reverse of the order the
 * presentation shows them, as after slides have been moved: the order must come from
 * the presentation's slide list.
 */
export function makePptx(slides: Slide[]): Buffer {
  const P = 'http://schemas.openxmlformats.org/presentationml/2006/main';
  const A = 'http://schemas.openxmlformats.org/drawingml/2006/main';
  const file = (index: number) => slides.length - index;
  const paragraphs = (lines: string[]) => lines.map((line) => `<a:p>${line.split('\n').map((part) => `<a:r><a:t>${escape(part)}</a:t></a:r>`).join('<a:br/>')}</a:p>`).join('');
  const shape = (placeholder: string, lines: string[]) => `<p:sp><p:nvSpPr><p:cNvPr id="2" name="${placeholder}"/><p:cNvSpPr/><p:nvPr><p:ph type="${placeholder}"/></p:nvPr></p:nvSpPr><p:txBody>${paragraphs(lines)}</p:txBody></p:sp>`;
  const parts: Record<string, string> = {
    '[Content_Types].xml': contentTypes({ 'ppt/presentation.xml': 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml' }),
    '_rels/.rels': relationships([['rId1', 'officeDocument', 'ppt/presentation.xml']]),
    'ppt/presentation.xml': `${XML}<p:presentation xmlns:p="${P}" xmlns:r="${RELATIONSHIP}"><p:sldIdLst>${slides.map((_, index) => `<p:sldId id="${256 + index}" r:id="rId${index + 1}"/>`).join('')}</p:sldIdLst></p:presentation>`,
    'ppt/_rels/presentation.xml.rels': relationships(slides.map((_, index) => [`rId${index + 1}`, 'slide', `slides/slide${file(index)}.xml`])),
  };
  slides.forEach((slide, index) => {
    const [title = '', ...body] = slide.lines;
    parts[`ppt/slides/slide${file(index)}.xml`] = `${XML}<p:sld xmlns:p="${P}" xmlns:a="${A}"${slide.hidden ? ' show="0"' : ''}><p:cSld><p:spTree>${shape('title', [title])}${shape('body', body)}</p:spTree></p:cSld></p:sld>`;
    if (slide.notes) {
      parts[`ppt/slides/_rels/slide${file(index)}.xml.rels`] = relationships([['rId1', 'notesSlide', `../notesSlides/notesSlide${file(index)}.xml`]]);
      // A notes page as PowerPoint writes it: the slide's number in its own placeholder, the notes in the body.
      parts[`ppt/notesSlides/notesSlide${file(index)}.xml`] = `${XML}<p:notes xmlns:p="${P}" xmlns:a="${A}"><p:cSld><p:spTree>${shape('body', slide.notes)}${shape('sldNum', [String(index + 1)])}</p:spTree></p:cSld></p:notes>`;
    }
  });
  return zip(parts);
}

const ODF_NAMESPACES = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"',
].join(' ');

/** An OpenDocument file: the mimetype entry first, as the format asks, and content.xml with this body. */
function odf(type: string, body: string): Buffer {
  return zip({ mimetype: `application/vnd.oasis.opendocument.${type}`, 'content.xml': `${XML}<office:document-content ${ODF_NAMESPACES}><office:body>${body}</office:body></office:document-content>` });
}

/** An OpenDocument text: `# ` starts a heading, `- ` a list item, two spaces in a row are written as ODF writes them. */
export function makeOdt(lines: string[]): Buffer {
  const paragraph = (text: string) => escape(text).replace(/ {2,}/g, (spaces) => ` <text:s text:c="${spaces.length - 1}"/>`).replace(/\t/g, '<text:tab/>');
  const body = lines.map((line) => {
    if (line.startsWith('# ')) return `<text:h text:outline-level="1">${paragraph(line.slice(2))}</text:h>`;
    if (line.startsWith('- ')) return `<text:list><text:list-item><text:p>${paragraph(line.slice(2))}</text:p></text:list-item></text:list>`;
    return `<text:p>${paragraph(line)}</text:p>`;
  });
  return odf('text', `<office:text>${body.join('')}</office:text>`);
}

/** An OpenDocument spreadsheet; each row ends with the empty cells out to the last column, as LibreOffice writes them. */
export function makeOds(sheets: Record<string, (string | null)[][]>): Buffer {
  const cell = (value: string | null) => (value === null ? '<table:table-cell/>' : `<table:table-cell office:value-type="string"><text:p>${escape(value)}</text:p></table:table-cell>`);
  const tables = Object.entries(sheets).map(
    ([name, rows]) =>
      `<table:table table:name="${escape(name)}">${rows.map((row) => `<table:table-row>${row.map(cell).join('')}<table:table-cell table:number-columns-repeated="16378"/></table:table-row>`).join('')}<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>`,
  );
  return odf('spreadsheet', `<office:spreadsheet>${tables.join('')}</office:spreadsheet>`);
}

/** An OpenDocument presentation: each slide's paragraphs in a frame, and its speaker notes. */
export function makeOdp(slides: { lines: string[]; notes?: string[] }[]): Buffer {
  const frame = (lines: string[]) => `<draw:frame><draw:text-box>${lines.map((line) => `<text:p>${escape(line)}</text:p>`).join('')}</draw:text-box></draw:frame>`;
  const pages = slides.map((slide, index) => `<draw:page draw:name="page${index + 1}">${frame(slide.lines)}${slide.notes ? `<presentation:notes>${frame(slide.notes)}</presentation:notes>` : ''}</draw:page>`);
  return odf('presentation', `<office:presentation>${pages.join('')}</office:presentation>`);
}

const ODF_TYPES = { odt: 'text', ods: 'spreadsheet', odp: 'presentation' } as const;

/**
 * An OpenDocument file saved with a password, as LibreOffice writes one: still a zip archive,
 * but content.xml is ciphertext (here stand-in bytes) and the manifest says how it was encrypted.
 */
export function makePasswordProtectedOdf(format: keyof typeof ODF_TYPES): Buffer {
  const M = 'manifest:';
  const encryption = `<${M}encryption-data ${M}checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" ${M}checksum="AAAA"><${M}algorithm ${M}algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" ${M}initialisation-vector="AAAA"/><${M}start-key-generation ${M}start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256" ${M}key-size="32"/><${M}key-derivation ${M}key-derivation-name="PBKDF2" ${M}key-size="32" ${M}iteration-count="100000" ${M}salt="AAAA"/></${M}encryption-data>`;
  const type = `application/vnd.oasis.opendocument.${ODF_TYPES[format]}`;
  const manifest = `${XML}<${M}manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" ${M}version="1.2"><${M}file-entry ${M}full-path="/" ${M}media-type="${type}"/><${M}file-entry ${M}full-path="content.xml" ${M}media-type="text/xml" ${M}size="3000">${encryption}</${M}file-entry></${M}manifest>`;
  const ciphertext = Uint8Array.from({ length: 3000 }, (_, index) => (index * 151 + 7) % 256);
  return Buffer.from(zipSync({ mimetype: [strToU8(type), { level: 0 }], 'content.xml': [ciphertext, { level: 0 }], 'META-INF/manifest.xml': strToU8(manifest) }));
}

/**
 * The text of OpenDocument files (LibreOffice, and what many public offices send): a
 * text document's paragraphs and headings, a spreadsheet's sheets as CSV, a
 * presentation's slides. Each is a zip archive whose content.xml holds everything; fflate
 * unpacks that part (and the manifest, which says whether a password encrypted it) and saxes
 * parses it.
 */
import { strFromU8, unzipSync } from 'fflate';
import { CairnError } from '../errors.js';
import { parseXml, type XmlHandlers, type XmlTag } from './xml.js';
import { csvField, trimEnd, type OfficeText } from './office-text.js';

const TEXT = 'urn:oasis:names:tc:opendocument:xmlns:text:1.0';
const TABLE = 'urn:oasis:names:tc:opendocument:xmlns:table:1.0';
const DRAW = 'urn:oasis:names:tc:opendocument:xmlns:drawing:1.0';
const OFFICE = 'urn:oasis:names:tc:opendocument:xmlns:office:1.0';
const MANIFEST = 'urn:oasis:names:tc:opendocument:xmlns:manifest:1.0';
const MANIFEST_PATH = 'META-INF/manifest.xml';

/** Cells (and rows) a sheet may repeat before the rest is taken for the empty tail ODF writes out to its last column (row). */
const MAX_REPEAT = 1_000;

/**
 * Parts of the content that are not its text: deleted text kept by change tracking, and
 * comments (with their author and date). Read, a deleted sentence came first as if current,
 * and a comment was run into the sentence it is on.
 */
function isHidden(tag: XmlTag): boolean {
  return (tag.uri === TEXT && tag.local === 'tracked-changes') || (tag.uri === OFFICE && tag.local === 'annotation');
}

/** The document's XML with its hidden parts (isHidden) left out. */
function parse(xml: string, handlers: XmlHandlers): void {
  let hidden = 0;
  parseXml(xml, {
    open: (tag) => {
      if (hidden > 0 || isHidden(tag)) {
        if (!tag.isSelfClosing) hidden++;
        return;
      }
      handlers.open?.(tag);
    },
    text: (text) => {
      if (hidden === 0) handlers.text?.(text);
    },
    close: (tag) => {
      if (hidden > 0) {
        if (!tag.isSelfClosing) hidden--;
        return;
      }
      handlers.close?.(tag);
    },
  });
}

export function odfText(bytes: Uint8Array, format: 'odt' | 'ods' | 'odp'): OfficeText {
  const parts = unzipSync(bytes, { filter: (entry) => entry.name === 'content.xml' || entry.name === MANIFEST_PATH });
  const manifest = parts[MANIFEST_PATH];
  // Unlike Office's, a password-protected ODF file is still a zip: its parts are encrypted in place, which only the manifest tells.
  if (manifest && isEncrypted(strFromU8(manifest))) {
    throw new CairnError('invalid_input', `it is a password-protected .${format} file; remove the password, or save it as PDF, and send it again`);
  }
  const part = parts['content.xml'];
  if (!part) throw new Error('it has no content.xml');
  const xml = strFromU8(part);
  return format === 'ods' ? spreadsheet(xml) : format === 'odp' ? presentation(xml) : textDocument(xml);
}

/** Each encrypted part's manifest entry holds an encryption-data element: its cipher and how the key comes from the password. */
function isEncrypted(manifest: string): boolean {
  let encrypted = false;
  parseXml(manifest, {
    open: (tag) => {
      if (tag.uri === MANIFEST && tag.local === 'encryption-data') encrypted = true;
    },
  });
  return encrypted;
}

/** A footnote or endnote being read: its mark (the citation the document shows) and its own paragraphs. */
interface Note {
  endnote: boolean;
  citation: string;
  inCitation: boolean;
  paragraphs: string[];
  paragraph: string | undefined;
}

/** How a note is marked in the text and listed after it, as the Word reader (docx-text.ts) marks them. */
function noteMark(note: Note): string {
  return note.endnote ? `[endnote ${note.citation.trim()}]` : `[${note.citation.trim()}]`;
}

/**
 * Paragraphs and headings, a line each; list items marked. A footnote or endnote sits inside
 * the paragraph it is on: read as part of it, its text ran into the sentence ("5%1Only for
 * orders under 100 EUR. of the total"). It is marked there and listed after the text.
 */
function textDocument(xml: string): OfficeText {
  const lines: string[] = [];
  const notes: { footnotes: string[]; endnotes: string[] } = { footnotes: [], endnotes: [] };
  let depth = 0;
  let line = '';
  let prefix = '';
  let note: Note | undefined;
  parse(xml, {
    open: (tag) => {
      if (tag.uri !== TEXT) return;
      if (note) {
        if (tag.local === 'note-citation') note.inCitation = true;
        else if (tag.local === 'p' || tag.local === 'h') note.paragraph = '';
        else {
          const reading = note;
          inline(tag, (text) => {
            if (reading.paragraph !== undefined) reading.paragraph += text;
          });
        }
      } else if (tag.local === 'note') {
        note = { endnote: attribute(tag, 'note-class') === 'endnote', citation: '', inCitation: false, paragraphs: [], paragraph: undefined };
      } else if (tag.local === 'p' || tag.local === 'h') {
        if (depth === 0) {
          line = '';
          prefix = tag.local === 'h' ? `${'#'.repeat(Number(attribute(tag, 'outline-level') ?? 1) || 1)} ` : prefix;
        }
        depth++;
      } else if (tag.local === 'list-item') prefix = '- ';
      else inline(tag, (text) => (line += text));
    },
    text: (text) => {
      if (note) {
        if (note.inCitation) note.citation += text;
        else if (note.paragraph !== undefined) note.paragraph += text;
      } else if (depth > 0) line += text;
    },
    close: (tag) => {
      if (tag.uri !== TEXT) return;
      if (note) {
        if (tag.local === 'note-citation') note.inCitation = false;
        else if ((tag.local === 'p' || tag.local === 'h') && note.paragraph !== undefined) {
          if (note.paragraph.trim() !== '') note.paragraphs.push(note.paragraph.trim());
          note.paragraph = undefined;
        } else if (tag.local === 'note') {
          line += noteMark(note);
          (note.endnote ? notes.endnotes : notes.footnotes).push(`${noteMark(note)} ${note.paragraphs.join('\n')}`);
          note = undefined;
        }
        return;
      }
      if (tag.local !== 'p' && tag.local !== 'h') return;
      depth--;
      if (depth === 0) {
        if (line.trim() !== '') lines.push(`${prefix}${line.trimEnd()}`);
        prefix = '';
      }
    },
  });
  const listed = [...(notes.footnotes.length > 0 ? [`[footnotes]\n${notes.footnotes.join('\n')}`] : []), ...(notes.endnotes.length > 0 ? [`[endnotes]\n${notes.endnotes.join('\n')}`] : [])];
  return { text: [...lines, ...listed].join('\n\n'), about: 'its text' };
}

/** Each sheet as CSV, with the values as the cells show them. */
function spreadsheet(xml: string): OfficeText {
  const sheets: { name: string; rows: string[][] }[] = [];
  let row: string[] | undefined;
  /** How many times the row stands for itself: LibreOffice writes identical rows once, with a count. */
  let rowRepeat = 1;
  let cell: { text: string; repeat: number } | undefined;
  let inParagraph = false;
  parse(xml, {
    open: (tag) => {
      if (tag.uri === TABLE && tag.local === 'table') sheets.push({ name: attribute(tag, 'name') ?? `Sheet${sheets.length + 1}`, rows: [] });
      else if (tag.uri === TABLE && tag.local === 'table-row') {
        row = [];
        rowRepeat = Number(attribute(tag, 'number-rows-repeated') ?? 1) || 1;
      }
      else if (tag.uri === TABLE && (tag.local === 'table-cell' || tag.local === 'covered-table-cell')) cell = { text: '', repeat: Number(attribute(tag, 'number-columns-repeated') ?? 1) || 1 };
      else if (tag.uri === TEXT && tag.local === 'p') {
        if (cell && cell.text !== '') cell.text += '\n';
        inParagraph = true;
      } else if (cell) inline(tag, (text) => (cell!.text += text));
    },
    text: (text) => {
      if (cell && inParagraph) cell.text += text;
    },
    close: (tag) => {
      if (tag.uri === TEXT && tag.local === 'p') inParagraph = false;
      else if (tag.uri === TABLE && (tag.local === 'table-cell' || tag.local === 'covered-table-cell') && cell && row) {
        // A long run of one value is the empty tail out to the last column: one is enough to show.
        for (let i = 0; i < Math.min(cell.repeat, cell.text === '' ? MAX_REPEAT : cell.repeat); i++) row.push(cell.text);
        cell = undefined;
      } else if (tag.uri === TABLE && tag.local === 'table-row' && row) {
        // As with cells, a long run (the empty rows out to the sheet's last) is capped; empty ones at the end go anyway.
        const cells = trimEnd(row, (value) => value === '');
        for (let i = 0; i < Math.min(rowRepeat, MAX_REPEAT); i++) sheets.at(-1)?.rows.push(cells);
        row = undefined;
      }
    },
  });
  const text = sheets.map(({ name, rows }) => {
    const lines = trimEnd(rows.map((cells) => cells.map(csvField).join(',')), (line) => line === '');
    return lines.length > 0 ? `[sheet "${name}"]\n${lines.join('\n')}` : `[sheet "${name}": empty]`;
  });
  const hasText = sheets.some(({ rows }) => rows.some((cells) => cells.length > 0));
  return { text: hasText ? text.join('\n\n') : '', about: `${sheets.length === 1 ? 'its sheet' : `its ${sheets.length} sheets`} as CSV` };
}

/** Each slide's paragraphs, with its speaker notes. */
function presentation(xml: string): OfficeText {
  const slides: { lines: string[]; notes: string[] }[] = [];
  let inNotes = false;
  let line: string | undefined;
  parse(xml, {
    open: (tag) => {
      if (tag.uri === DRAW && tag.local === 'page') slides.push({ lines: [], notes: [] });
      else if (tag.uri === 'urn:oasis:names:tc:opendocument:xmlns:presentation:1.0' && tag.local === 'notes') inNotes = true;
      else if (tag.uri === TEXT && (tag.local === 'p' || tag.local === 'h')) line = '';
      else if (line !== undefined) inline(tag, (text) => (line += text));
    },
    text: (text) => {
      if (line !== undefined) line += text;
    },
    close: (tag) => {
      if (tag.uri === 'urn:oasis:names:tc:opendocument:xmlns:presentation:1.0' && tag.local === 'notes') inNotes = false;
      else if (tag.uri === TEXT && (tag.local === 'p' || tag.local === 'h') && line !== undefined) {
        const slide = slides.at(-1);
        if (slide && line.trim() !== '') (inNotes ? slide.notes : slide.lines).push(line.trimEnd());
        line = undefined;
      }
    },
  });
  const text = slides.map((slide, index) => [`[slide ${index + 1}${slide.lines.length === 0 ? ': no text' : ''}]`, ...slide.lines, ...(slide.notes.length > 0 ? ['[speaker notes]', ...slide.notes] : [])].join('\n'));
  const hasText = slides.some((slide) => slide.lines.length > 0 || slide.notes.length > 0);
  return { text: hasText ? text.join('\n\n') : '', about: slides.length === 1 ? 'its slide' : `its ${slides.length} slides` };
}

/** Text that ODF writes as elements: runs of spaces, tabs and line breaks. */
function inline(tag: XmlTag, add: (text: string) => void): void {
  if (tag.uri !== TEXT) return;
  if (tag.local === 's') add(' '.repeat(Number(attribute(tag, 'c') ?? 1) || 1));
  else if (tag.local === 'tab') add('\t');
  else if (tag.local === 'line-break') add('\n');
}

function attribute(tag: XmlTag, local: string): string | undefined {
  return Object.values(tag.attributes).find((entry) => entry.local === local && (entry.uri === TEXT || entry.uri === TABLE || entry.uri === OFFICE || entry.uri === ''))?.value;
}

/**
 * The text of a Word document (.docx), from the document mammoth reads. Its own
 * extractRawText drops what has no text of its own: a line break (Shift+Enter, as in an
 * address) or a page break ran the words on both sides into one ("Ana SilvaRua Augusta 12"),
 * a ticked box was nothing, and footnotes and endnotes were left out with their references,
 * so "5% of the total" lost the note that qualifies it. Here those are kept: breaks as line
 * breaks, boxes as ☒/☐, and notes numbered as Word numbers them (in the order they are
 * referenced), each listed after the text.
 */
import type { OfficeText } from './office-text.js';

/** An element of mammoth's document (its transforms' API: `type` and `children`, and each type's own fields). */
interface Element {
  type: string;
  children?: Element[];
  value?: string;
  checked?: boolean;
  noteType?: string;
  noteId?: string;
  body?: Element[];
}

interface MammothDocument extends Element {
  notes: { resolve(reference: Element): Element | undefined };
}

/** How notes are marked in the text and listed after it. */
const NOTE_KINDS = [
  { type: 'footnote', heading: '[footnotes]', mark: (n: number) => `[${n}]` },
  { type: 'endnote', heading: '[endnotes]', mark: (n: number) => `[endnote ${n}]` },
] as const;

export async function documentText(docx: Uint8Array): Promise<OfficeText> {
  const { default: mammoth } = await import('mammoth');
  let read: MammothDocument | undefined;
  // mammoth's document, taken before its HTML is written (of nothing: the document given back is empty).
  await mammoth.convertToHtml({ buffer: Buffer.from(docx.buffer, docx.byteOffset, docx.byteLength) }, {
    transformDocument: (document: MammothDocument) => {
      read = document;
      return { ...document, children: [] };
    },
  });
  if (!read) throw new Error('mammoth read no document');
  const document = read;
  /** Each kind's notes in the order they are first referenced: Word numbers them so. */
  const numbered = new Map<string, { number: number; note: Element | undefined }>();
  const count = new Map<string, number>();
  const noteMark = (reference: Element): string => {
    const kind = NOTE_KINDS.find(({ type }) => type === reference.noteType);
    if (!kind) return '';
    const key = `${kind.type}:${reference.noteId}`;
    let entry = numbered.get(key);
    if (!entry) {
      const number = (count.get(kind.type) ?? 0) + 1;
      count.set(kind.type, number);
      entry = { number, note: document.notes.resolve(reference) };
      numbered.set(key, entry);
    }
    return kind.mark(entry.number);
  };
  const text = (element: Element): string => {
    switch (element.type) {
      case 'text':
        return element.value ?? '';
      case 'tab':
        return '\t';
      case 'break':
        return '\n';
      case 'checkbox':
        return element.checked ? '☒' : '☐';
      case 'noteReference':
        return noteMark(element);
      default:
        return (element.children ?? []).map(text).join('') + (element.type === 'paragraph' ? '\n\n' : '');
    }
  };
  const parts = [text(document)];
  for (const kind of NOTE_KINDS) {
    const notes: string[] = [];
    // Listing a note may number another it references: the map grows while it is walked, and the loop takes those too.
    for (const [key, { number, note }] of numbered) {
      if (!key.startsWith(`${kind.type}:`) || !note) continue;
      notes.push(`${kind.mark(number)} ${(note.body ?? []).map(text).join('').trim().replace(/\n{2,}/g, '\n')}`);
    }
    if (notes.length > 0) parts.push(`${kind.heading}\n${notes.join('\n')}`);
  }
  // A paragraph ends with a blank line; empty paragraphs make longer runs.
  return { text: parts.map((part) => part.replace(/\n{3,}/g, '\n\n').trim()).join('\n\n'), about: 'its text' };
}

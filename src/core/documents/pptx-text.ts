/**
 * The text of a PowerPoint presentation (.pptx), slide by slide in the order the
 * presentation shows them, each with its speaker notes. A .pptx is a zip archive of XML
 * parts: fflate unpacks only the parts read here, saxes parses them. The order of the
 * slides is the presentation's list of slides, not their file names.
 */
import { posix } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { parseXml as parse } from './xml.js';
import type { OfficeText } from './office-text.js';

const DRAWING = 'http://schemas.openxmlformats.org/drawingml/2006/main';
const PRESENTATION = 'http://schemas.openxmlformats.org/presentationml/2006/main';
const RELATIONSHIPS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PRESENTATION_PART = 'ppt/presentation.xml';

export function presentationText(bytes: Uint8Array): OfficeText {
  const parts = unzipSync(bytes, { filter: (entry) => entry.name === PRESENTATION_PART || /^ppt\/(_rels\/presentation|slides\/[^/]+|slides\/_rels\/[^/]+|notesSlides\/[^/]+)\.xml(\.rels)?$/.test(entry.name) });
  const read = (name: string) => {
    const part = parts[name];
    return part ? strFromU8(part) : undefined;
  };
  const presentation = read(PRESENTATION_PART);
  if (presentation === undefined) throw new Error(`it has no ${PRESENTATION_PART}`);
  const slides = slideOrder(presentation, relationships(read, PRESENTATION_PART));
  let hasText = false;
  const text = slides.map((name, index) => {
    const xml = read(name);
    if (xml === undefined) return `[slide ${index + 1}: missing from the file]`;
    const slide = paragraphs(xml, false);
    const notesPart = [...relationships(read, name).values()].find((relation) => relation.type.endsWith('/notesSlide'))?.target;
    const notesXml = notesPart === undefined ? undefined : read(notesPart);
    // The notes page repeats the slide's picture and number; its body placeholder holds the notes.
    const notes = notesXml === undefined ? [] : paragraphs(notesXml, true).lines;
    hasText ||= slide.lines.length > 0 || notes.length > 0;
    const header = `[slide ${index + 1}${slide.hidden ? ', hidden' : ''}${slide.lines.length === 0 ? ': no text' : ''}]`;
    return [header, ...slide.lines, ...(notes.length > 0 ? ['[speaker notes]', ...notes] : [])].join('\n');
  });
  return { text: hasText ? text.join('\n\n') : '', about: slides.length === 1 ? 'its slide' : `its ${slides.length} slides` };
}

interface Relationship {
  type: string;
  /** The part it points to, as a path inside the archive. */
  target: string;
}

/** A part's relationships (`dir/_rels/name.rels`) by id, their targets resolved against the part's folder. */
function relationships(read: (name: string) => string | undefined, part: string): Map<string, Relationship> {
  const folder = posix.dirname(part);
  const xml = read(posix.join(folder, '_rels', `${posix.basename(part)}.rels`));
  const found = new Map<string, Relationship>();
  if (xml === undefined) return found;
  parse(xml, {
    open: (tag) => {
      if (tag.local !== 'Relationship') return;
      const id = tag.attributes.Id?.value;
      const target = tag.attributes.Target?.value;
      if (!id || !target || tag.attributes.TargetMode?.value === 'External') return;
      found.set(id, { type: tag.attributes.Type?.value ?? '', target: target.startsWith('/') ? target.slice(1) : posix.join(folder, target) });
    },
  });
  return found;
}

/** The slides' parts in the order of the presentation's slide list. */
function slideOrder(presentation: string, relations: Map<string, Relationship>): string[] {
  const slides: string[] = [];
  parse(presentation, {
    open: (tag) => {
      if (tag.uri !== PRESENTATION || tag.local !== 'sldId') return;
      const id = Object.values(tag.attributes).find((attribute) => attribute.uri === RELATIONSHIPS && attribute.local === 'id')?.value;
      const target = id === undefined ? undefined : relations.get(id)?.target;
      if (target) slides.push(target);
    },
  });
  return slides;
}

/**
 * The paragraphs of a slide or notes page, one line each (a line break inside one
 * stays). With `bodyOnly`, only those of shapes that are the body placeholder.
 */
function paragraphs(xml: string, bodyOnly: boolean): { lines: string[]; hidden: boolean } {
  const lines: string[] = [];
  let hidden = false;
  let paragraph: string | undefined;
  let inText = false;
  let inBody = false;
  parse(xml, {
    open: (tag) => {
      if (tag.uri === PRESENTATION) {
        if (tag.local === 'sld') hidden = tag.attributes.show?.value === '0' || tag.attributes.show?.value === 'false';
        else if (tag.local === 'sp') inBody = false;
        else if (tag.local === 'ph') inBody = tag.attributes.type?.value === 'body';
      } else if (tag.uri === DRAWING) {
        if (tag.local === 'p') paragraph = '';
        else if (tag.local === 't') inText = true;
        else if (tag.local === 'br' && paragraph !== undefined) paragraph += '\n';
      }
    },
    text: (text) => {
      if (inText && paragraph !== undefined) paragraph += text;
    },
    close: (tag) => {
      if (tag.uri !== DRAWING) return;
      if (tag.local === 't') inText = false;
      else if (tag.local === 'p') {
        if (paragraph !== undefined && paragraph.trim() !== '' && (!bodyOnly || inBody)) lines.push(paragraph.trimEnd());
        paragraph = undefined;
      }
    },
  });
  return { lines, hidden };
}

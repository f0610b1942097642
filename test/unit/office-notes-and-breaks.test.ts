/**
 * The text of Word and OpenDocument files where mammoth's extractRawText and the ODF reader
 * lost or garbled it: a line break (an address) or page break ran the words on both sides
 * into one, footnotes and endnotes were left out (Word) or run into the sentence they are on
 * (ODF), and a ticked form box read as nothing.
 */
import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { officeText } from '../../src/core/documents/office-text.js';

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

/** A Word document with this body XML, and footnotes and endnotes parts holding these notes (by id). */
function docx(body: string, notes: { footnotes?: Record<number, string>; endnotes?: Record<number, string> } = {}): Uint8Array {
  const rels = (items: string[]) => `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items.join('')}</Relationships>`;
  const part = (kind: 'footnote' | 'endnote', entries: Record<number, string>) =>
    `${XML}<w:${kind}s xmlns:w="${W}"><w:${kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:${kind}>${Object.entries(entries)
      .map(([id, text]) => `<w:${kind} w:id="${id}"><w:p><w:r><w:${kind}Ref/></w:r><w:r><w:t xml:space="preserve"> ${text}</w:t></w:r></w:p></w:${kind}>`)
      .join('')}</w:${kind}s>`;
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8(`${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`),
    '_rels/.rels': strToU8(rels([`<Relationship Id="rId1" Type="${R}/officeDocument" Target="word/document.xml"/>`])),
    'word/_rels/document.xml.rels': strToU8(rels([`<Relationship Id="rId5" Type="${R}/footnotes" Target="footnotes.xml"/>`, `<Relationship Id="rId6" Type="${R}/endnotes" Target="endnotes.xml"/>`])),
    'word/document.xml': strToU8(`${XML}<w:document xmlns:w="${W}" xmlns:r="${R}"><w:body>${body}</w:body></w:document>`),
  };
  if (notes.footnotes) files['word/footnotes.xml'] = strToU8(part('footnote', notes.footnotes));
  if (notes.endnotes) files['word/endnotes.xml'] = strToU8(part('endnote', notes.endnotes));
  return zipSync(files);
}

const run = (text: string) => `<w:r><w:t xml:space="preserve">${text}</w:t></w:r>`;

describe('a Word document', () => {
  it('keeps line breaks inside a paragraph (an address) and page breaks apart, not glued into one word', async () => {
    const body = `<w:p><w:r><w:t>Ana Silva</w:t><w:br/><w:t>Rua Augusta 12</w:t><w:br/><w:t>Lisboa</w:t></w:r></w:p><w:p>${run('Page one ends')}<w:r><w:br w:type="page"/></w:r>${run('page two starts')}</w:p>`;
    expect((await officeText(docx(body), 'docx')).text).toBe('Ana Silva\nRua Augusta 12\nLisboa\n\nPage one ends\npage two starts');
  });

  it('reads footnotes and endnotes, marked where they are referenced', async () => {
    const body = `<w:p>${run('The fee is 5%')}<w:r><w:footnoteReference w:id="7"/></w:r>${run(' of the total')}<w:r><w:endnoteReference w:id="3"/></w:r>${run('.')}</w:p><w:p>${run('Paid monthly')}<w:r><w:footnoteReference w:id="2"/></w:r></w:p>`;
    const { text } = await officeText(docx(body, { footnotes: { 2: 'By the 5th.', 7: 'Only for orders under 100 EUR.' }, endnotes: { 3: 'See the 2023 contract.' } }), 'docx');
    expect(text).toBe('The fee is 5%[1] of the total[endnote 1].\n\nPaid monthly[2]\n\n[footnotes]\n[1] Only for orders under 100 EUR.\n[2] By the 5th.\n\n[endnotes]\n[endnote 1] See the 2023 contract.');
  });

  it('shows whether a form checkbox is ticked', async () => {
    const box = (checked: boolean) => `<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:default w:val="${checked ? 1 : 0}"/></w:checkBox></w:ffData></w:fldChar></w:r><w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`;
    expect((await officeText(docx(`<w:p>${run('Paid: ')}${box(true)}${run(' yes ')}${box(false)}${run(' no')}</w:p>`), 'docx')).text).toBe('Paid: ☒ yes ☐ no');
  });
});

describe('an OpenDocument text', () => {
  const NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
  const odt = (body: string) => zipSync({ mimetype: strToU8('application/vnd.oasis.opendocument.text'), 'content.xml': strToU8(`${XML}<office:document-content ${NS}><office:body><office:text>${body}</office:text></office:body></office:document-content>`) });
  const note = (kind: string, citation: string, text: string) =>
    `<text:note text:id="n${citation}" text:note-class="${kind}"><text:note-citation>${citation}</text:note-citation><text:note-body><text:p>${text}</text:p></text:note-body></text:note>`;

  it('reads footnotes and endnotes after the text, marked where they are, not run into the sentence', async () => {
    const body = `<text:p>The fee is 5%${note('footnote', '1', 'Only for orders under 100 EUR.')} of the total${note('endnote', 'i', 'See the 2023 contract.')}.</text:p><text:h text:outline-level="2">Terms${note('footnote', '2', 'As <text:span>agreed</text:span>.')}</text:h>`;
    expect((await officeText(odt(body), 'odt')).text).toBe('The fee is 5%[1] of the total[endnote i].\n\n## Terms[2]\n\n[footnotes]\n[1] Only for orders under 100 EUR.\n[2] As agreed.\n\n[endnotes]\n[endnote i] See the 2023 contract.');
  });
});

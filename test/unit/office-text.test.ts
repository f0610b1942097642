import { describe, expect, it } from 'vitest';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { officeFormat, officeText } from '../../src/core/documents/office-text.js';
import { CairnError } from '../../src/core/errors.js';
import { makeDocx, makeOdp, makeOds, makeOdt, makePasswordProtectedOdf, makePptx, makeXlsx } from '../helpers/office.js';

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CairnError);
  expect((error as CairnError).code).toBe('invalid_input');
  return (error as CairnError).message;
}

describe('officeFormat', () => {
  it('tells the format by MIME type, and by name when the type is generic', () => {
    expect(officeFormat({ fileName: 'plan', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' })).toBe('docx');
    expect(officeFormat({ fileName: 'Budget.XLSX', contentType: 'application/octet-stream' })).toBe('xlsx');
    expect(officeFormat({ fileName: 'deck.pptm', contentType: undefined })).toBe('pptx');
    expect(officeFormat({ fileName: 'deck.pptx', contentType: 'application/zip' })).toBe('pptx');
    expect(officeFormat({ fileName: 'old.doc', contentType: 'application/msword' })).toBe('doc');
    expect(officeFormat({ fileName: 'notes.txt', contentType: 'text/plain' })).toBeUndefined();
    expect(officeFormat({ fileName: 'photo.docx', contentType: 'image/png' })).toBeUndefined();
  });

  it('lets a CSV file that Windows labelled as an Excel file be a CSV file', () => {
    expect(officeFormat({ fileName: 'export.csv', contentType: 'application/vnd.ms-excel' })).toBeUndefined();
    expect(officeFormat({ fileName: 'export', contentType: 'application/vnd.ms-excel' })).toBe('xls');
    expect(officeFormat({ fileName: 'book.xlsx', contentType: 'application/vnd.ms-excel' })).toBe('xlsx');
  });
});

describe('officeText', () => {
  it("reads a Word document's paragraphs and tables", async () => {
    const docx = makeDocx(['Quarterly plan', '', '', 'Ship the billing rewrite & the <new> invoices.', [['Owner', 'Due'], ['Ana', 'March']]]);
    const { text, about } = await officeText(docx, 'docx');
    expect(text).toBe('Quarterly plan\n\nShip the billing rewrite & the <new> invoices.\n\nOwner\n\nDue\n\nAna\n\nMarch');
    expect(about).toBe('its text');
  });

  it('reads every sheet of a workbook as CSV, with dates, numbers and booleans as a spreadsheet shows them', async () => {
    const xlsx = makeXlsx({
      Budget: [
        ['Item', 'Cost, EUR', 'Due', 'Paid'],
        ['Servers', 1200.5, new Date('2026-03-01T00:00:00Z'), true],
        ['Say "hi"', 0.1 + 0.2, new Date('2026-03-01T14:30:00Z'), false, null, null],
        [null, null],
      ],
      Empty: [],
      Notes: [['multi\nline']],
    });
    const { text, about } = await officeText(xlsx, 'xlsx');
    expect(text).toBe(
      [
        '[sheet "Budget"]',
        'Item,"Cost, EUR",Due,Paid',
        'Servers,1200.5,2026-03-01,TRUE',
        '"Say ""hi""",0.3,2026-03-01 14:30:00,FALSE',
        '',
        '[sheet "Empty": empty]',
        '',
        '[sheet "Notes"]',
        '"multi\nline"',
      ].join('\n'),
    );
    expect(about).toBe('its 3 sheets as CSV');
  });

  it("reads a presentation's slides in the order it shows them, with speaker notes and hidden slides marked", async () => {
    const pptx = makePptx([
      { lines: ['Roadmap 2027', 'Billing rewrite', 'Two lines\nin one paragraph'], notes: ['Mention the March deadline.'] },
      { lines: [] },
      { lines: ['Backup slide', 'Costs'], hidden: true },
    ]);
    const { text, about } = await officeText(pptx, 'pptx');
    expect(text).toBe(
      [
        '[slide 1]',
        'Roadmap 2027',
        'Billing rewrite',
        'Two lines\nin one paragraph',
        '[speaker notes]',
        'Mention the March deadline.',
        '',
        '[slide 2: no text]',
        '',
        '[slide 3, hidden]',
        'Backup slide',
        'Costs',
      ].join('\n'),
    );
    expect(about).toBe('its 3 slides');
  });

  it('reads OpenDocument text, spreadsheets (without the empty tail out to the last column) and presentations', async () => {
    const odt = await officeText(makeOdt(['# Minutes', 'Present:  Ana and Bo', '- Budget approved', 'Next\tmeeting in May']), 'odt');
    expect(odt).toEqual({ text: '# Minutes\n\nPresent:  Ana and Bo\n\n- Budget approved\n\nNext\tmeeting in May', about: 'its text' });
    const ods = await officeText(makeOds({ Costs: [['Item', 'EUR'], ['Servers, EU', '1,200.50'], [null, 'note']], Empty: [] }), 'ods');
    expect(ods).toEqual({ text: '[sheet "Costs"]\nItem,EUR\n"Servers, EU","1,200.50"\n,note\n\n[sheet "Empty": empty]', about: 'its 2 sheets as CSV' });
    const odp = await officeText(makeOdp([{ lines: ['Roadmap', 'Q1: billing'], notes: ['Keep it short.'] }, { lines: [] }]), 'odp');
    expect(odp).toEqual({ text: '[slide 1]\nRoadmap\nQ1: billing\n[speaker notes]\nKeep it short.\n\n[slide 2: no text]', about: 'its 2 slides' });
    expect(officeFormat({ fileName: 'minutes.odt', contentType: 'application/octet-stream' })).toBe('odt');
    expect(officeFormat({ fileName: 'x', contentType: 'application/vnd.oasis.opendocument.spreadsheet' })).toBe('ods');
  });

  it('says why it cannot read what is not a readable Office file', async () => {
    expect(await refusal(officeText(Buffer.from('plain words, not a zip'), 'docx'))).toBe('it is not a Word document (not the zip archive that a .docx file is)');
    // Office's encryption wraps the file in an OLE compound file, the old formats' container.
    const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    expect(await refusal(officeText(ole, 'xlsx'))).toMatch(/^it is password-protected .*remove the password, or save it as PDF/);
    expect(await refusal(officeText(ole, 'doc'))).toBe('it is in the old binary Word document format (.doc), which I do not read; save it as .docx or PDF and send it again');
    const otherZip = Buffer.from(zipSync({ 'readme.txt': strToU8('hello') }));
    expect(await refusal(officeText(otherZip, 'docx'))).toMatch(/^it is not a readable Word document \(.+\)$/);
    expect(await refusal(officeText(otherZip, 'pptx'))).toBe('it is not a readable PowerPoint presentation (it has no ppt/presentation.xml)');
    expect(await refusal(officeText(makeDocx(['ok']).subarray(0, 200), 'docx'))).toMatch(/^it is not a readable Word document \(a damaged zip archive/);
    expect(await refusal(officeText(makeDocx(['', '']), 'docx'))).toBe('the Word document has no text in it (only pictures?)');
    expect(await refusal(officeText(makeXlsx({ Sheet1: [] }), 'xlsx'))).toBe('the Excel workbook has no text in it (only pictures?)');
  });

  it.each(['odt', 'ods', 'odp'] as const)('says a .%s saved with a password is password-protected, as for Word and Excel files', async (format) => {
    // It said "it is not a readable OpenDocument text (1:9: disallowed character.)", an XML parser's complaint about the ciphertext.
    expect(await refusal(officeText(makePasswordProtectedOdf(format), format))).toBe(`it is a password-protected .${format} file; remove the password, or save it as PDF, and send it again`);
  });

  it('refuses a file that would unpack to far more than it weighs, from its directory alone', async () => {
    // A zip bomb's directory names the size it unpacks to: here 300 MB, written into a small archive's central directory.
    const bomb = Buffer.from(zipSync({ 'word/document.xml': new Uint8Array(1024) }));
    const directory = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(300 * 1024 * 1024, directory + 24);
    expect(await refusal(officeText(bomb, 'docx'))).toBe('it would unpack to 300 MB, more than I open; send the part that matters');
  });

  it('stops when the request is stopped', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(officeText(makeDocx(['ok']), 'docx', controller.signal)).rejects.toThrow('stopped');
  });
});

const R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** makeXlsx's workbook with a chart sheet added after its worksheets, as Excel writes one. */
function withChartSheet(xlsx: Buffer, name: string): Uint8Array {
  const parts = unzipSync(xlsx);
  const text = (path: string) => strFromU8(parts[path]!);
  parts['xl/workbook.xml'] = strToU8(text('xl/workbook.xml').replace('</sheets>', `<sheet name="${name}" sheetId="99" r:id="rIdChart"/></sheets>`));
  parts['xl/_rels/workbook.xml.rels'] = strToU8(text('xl/_rels/workbook.xml.rels').replace('</Relationships>', `<Relationship Id="rIdChart" Type="${R}/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>`));
  parts['[Content_Types].xml'] = strToU8(text('[Content_Types].xml').replace('</Types>', '<Override PartName="/xl/chartsheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml"/></Types>'));
  parts['xl/chartsheets/sheet1.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${R}"><sheetViews><sheetView workbookViewId="0"/></sheetViews><drawing r:id="rId1"/></chartsheet>`);
  return zipSync(parts);
}

/** makeXlsx's workbook with its first sheet's cell `ref` holding a formula that failed, as Excel saves one. */
function withFormulaError(xlsx: Buffer, ref: string, error: string): Uint8Array {
  const parts = unzipSync(xlsx);
  const sheet = strFromU8(parts['xl/worksheets/sheet1.xml']!);
  parts['xl/worksheets/sheet1.xml'] = strToU8(sheet.replace(`<c r="${ref}"><v>0</v></c>`, `<c r="${ref}" s="0" t="e"><f>B2/C2</f><v>${error}</v></c>`));
  return zipSync(parts);
}

describe('Excel workbooks', () => {
  it('reads the worksheets of a workbook that also has a chart sheet', async () => {
    const workbook = withChartSheet(makeXlsx({ Sales: [['Month', 'Total'], ['May', 1200]] }), 'Sales chart');
    const result = await officeText(workbook, 'xlsx');
    expect(result.text).toBe('[sheet "Sales"]\nMonth,Total\nMay,1200\n\n[sheet "Sales chart": a chart]');
  });

  it('reads a formula error as the error Excel shows, not as an empty cell', async () => {
    const workbook = withFormulaError(makeXlsx({ Margins: [['Item', 'Profit', 'Sold', 'Per unit'], ['Tea', 30, 0, 0]] }), 'D2', '#DIV/0!');
    const result = await officeText(workbook, 'xlsx');
    expect(result.text).toBe('[sheet "Margins"]\nItem,Profit,Sold,Per unit\nTea,30,0,#DIV/0!');
  });
});

const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:dc="http://purl.org/dc/elements/1.1/"',
].join(' ');

function odt(body: string): Uint8Array {
  return zipSync({
    mimetype: strToU8('application/vnd.oasis.opendocument.text'),
    'content.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:body><office:text>${body}</office:text></office:body></office:document-content>`),
  });
}

describe('OpenDocument text with tracked changes and comments', () => {
  it('leaves out text that was deleted with change tracking on', async () => {
    const document = odt(
      '<text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><office:change-info><dc:creator>Ana</dc:creator><dc:date>2026-03-01T10:00:00</dc:date></office:change-info>' +
        '<text:p>The rent is 900 EUR a month.</text:p></text:deletion></text:changed-region></text:tracked-changes>' +
        '<text:p>Lease for flat 4B.</text:p><text:p><text:change text:change-id="ct1"/>The rent is 1,200 EUR a month.</text:p>',
    );
    const { text } = await officeText(document, 'odt');
    expect(text).toContain('The rent is 1,200 EUR a month.');
    // The deleted sentence came first, as if it were the document's own text.
    expect(text).not.toContain('900 EUR');
  });

  it("keeps a comment and its author out of the sentence it is on", async () => {
    const document = odt('<text:p>Payment is due <office:annotation><dc:creator>Bob</dc:creator><dc:date>2026-03-02T09:00:00</dc:date><text:p>Should this be 30 days?</text:p></office:annotation>within 14 days.</text:p>');
    const { text } = await officeText(document, 'odt');
    // It read "Payment is due Bob2026-03-02T09:00:00Should this be 30 days?within 14 days."
    expect(text).toContain('Payment is due within 14 days.');
  });
});

/**
 * Excel stores a date-time as a day count in binary floating point: 16:48 on 15 Jan 2024 is
 * 45306.7, which is 16:47:59.99999…; Excel shows it as 16:48:00, and so must the CSV the model
 * reads (it was cut to 16:47:59). A time-only cell (h:mm, a timesheet's start and end) is a
 * fraction of day 0 and was shown as a date in December 1899; a sum of times ([h]:mm) runs past
 * 24 hours.
 */
import { describe, expect, it } from 'vitest';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { officeText } from '../../src/core/documents/office-text.js';
import { makeXlsx } from '../helpers/office.js';

/**
 * A one-sheet workbook whose row 1 holds these raw cells (value and style index). Styles:
 * 1 = numFmt 22 (m/d/yy h:mm), 2 = 20 (h:mm), 3 = 21 (h:mm:ss), 4 = 46 ([h]:mm:ss), 5 = 14 (a date).
 */
function workbook(cells: [value: string, style: number][], options: { date1904?: boolean } = {}): Uint8Array {
  const parts = unzipSync(makeXlsx({ Sheet1: [['x']] }));
  parts['xl/styles.xml'] = strToU8(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="20" applyNumberFormat="1"/><xf numFmtId="21" applyNumberFormat="1"/><xf numFmtId="46" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
  );
  const row = cells.map(([value, style], index) => `<c r="${String.fromCharCode(65 + index)}1" s="${style}"><v>${value}</v></c>`).join('');
  parts['xl/worksheets/sheet1.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">${row}</row></sheetData></worksheet>`,
  );
  if (options.date1904) {
    const xml = strFromU8(parts['xl/workbook.xml'] as Uint8Array);
    parts['xl/workbook.xml'] = strToU8(xml.replace('<sheets>', '<workbookPr date1904="1"/><sheets>'));
  }
  return zipSync(parts);
}

describe('Excel date-times and times in a workbook read as CSV', () => {
  it('shows a date-time at the minute Excel shows, not one second before it', async () => {
    // As Excel writes them: 15 Jan 2024 16:48 and 08:00.
    const { text } = await officeText(workbook([['45306.7', 1], ['45306.3333333333', 1]]), 'xlsx');
    expect(text).toBe('[sheet "Sheet1"]\n2024-01-15 16:48:00,2024-01-15 08:00:00');
  });

  it('shows a time-only cell (a timesheet) as a time, not as a date in December 1899', async () => {
    // 12:30 in h:mm, 09:00:00 in h:mm:ss, midnight.
    const { text } = await officeText(workbook([['0.520833333333333', 2], ['0.375', 3], ['0', 2]]), 'xlsx');
    expect(text).toBe('[sheet "Sheet1"]\n12:30:00,09:00:00,00:00:00');
  });

  it('shows a sum of times past 24 hours as hours, as [h]:mm:ss does', async () => {
    // A week of 8-hour days, and 25 h 30 min.
    const { text } = await officeText(workbook([['1.66666666666667', 4], ['1.0625', 4]]), 'xlsx');
    expect(text).toBe('[sheet "Sheet1"]\n40:00:00,25:30:00');
  });

  it('keeps dates as dates, floating-point noise and all', async () => {
    const { text } = await officeText(workbook([['45306', 5], ['45306.0000000001', 5]]), 'xlsx');
    expect(text).toBe('[sheet "Sheet1"]\n2024-01-15,2024-01-15');
  });

  it('counts from 1 January 1904 in a workbook in the 1904 date system (old Mac Excel)', async () => {
    // The same 15 Jan 2024 16:48 is 1462 days fewer there; 12:30 is still a fraction of day 0.
    const { text } = await officeText(workbook([['43844.7', 1], ['0.520833333333333', 2]], { date1904: true }), 'xlsx');
    expect(text).toBe('[sheet "Sheet1"]\n2024-01-15 16:48:00,12:30:00');
  });
});

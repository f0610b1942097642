/**
 * Formula errors (`#DIV/0!`, `#REF!`, `#N/A`) kept in an Excel workbook's cells. read-excel-file
 * reads a cell of type "e" as empty, so a person asking why a column shows errors would hear
 * that it is blank. Such cells are retyped as formula text (`t="str"`, which it reads as the
 * text of `<v>`) in a copy of the workbook; a workbook without them is passed on untouched.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';

const WORKSHEET = /^xl\/worksheets\/[^/]+\.xml$/;
/** The type attribute of an error cell: `<c r="B2" s="3" t="e">`. `<c\b` leaves `<col>` and `<cfRule>` alone. */
const ERROR_CELL_TYPE = /(<c\b[^>]*?\s)t=(["'])e\2/g;

export function withFormulaErrorsAsText(workbook: Uint8Array): Uint8Array {
  const sheets = unzipSync(workbook, { filter: (file) => WORKSHEET.test(file.name) });
  const changed = Object.entries(sheets)
    .map(([name, bytes]) => [name, strFromU8(bytes)] as const)
    .filter(([, xml]) => xml.search(ERROR_CELL_TYPE) >= 0);
  if (changed.length === 0) return workbook;
  const parts = unzipSync(workbook);
  for (const [name, xml] of changed) parts[name] = strToU8(xml.replace(ERROR_CELL_TYPE, '$1t="str"'));
  // Stored, not compressed again: the copy only lives until it is read.
  return zipSync(parts, { level: 0 });
}

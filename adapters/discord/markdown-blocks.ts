/**
 * Markdown blocks Discord does not render, as what it does. Discord knows headings #, ## and
 * ### only, and no tables: a model's `#### Install` showed its hashes, and a table its pipes
 * and dashes in proportional type. Such a heading becomes a bold line, a table a code block
 * with its columns lined up. Code blocks are left as they are.
 */

/** A fence as discordFences leaves it: ``` and an info string with no backtick (```npm ci``` is inline code). */
const FENCE = /^\s*```(?!.*`)/;
/** A heading Discord shows as typed, with its optional closing hashes. */
const DEEP_HEADING = /^ {0,3}#{4,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/;
/** A table's delimiter row: cells of dashes, with colons for alignment. */
const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/;

export function discordBlocks(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let inCode = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = FENCE.test(line);
    if (fence) inCode = !inCode;
    if (fence || inCode) {
      out.push(line);
      continue;
    }
    const rows = tableAt(lines, index);
    if (rows) {
      out.push('```', ...tableLines(rows), '```');
      // Past the table's last line (each of its lines is one of `rows`).
      index += rows.length - 1;
      continue;
    }
    const heading = DEEP_HEADING.exec(line);
    out.push(heading ? `**${(heading[1] ?? '').replaceAll('**', '')}**` : line);
  }
  return out.join('\n');
}

/**
 * The GFM table that starts at `index`: a header row, a delimiter row with as many cells, and
 * the rows up to the first blank line or line without a pipe. Its rows as cells, the delimiter
 * row included (its cells say each column's alignment); undefined where no table starts.
 */
function tableAt(lines: readonly string[], index: number): string[][] | undefined {
  const header = lines[index] ?? '';
  const delimiter = lines[index + 1] ?? '';
  if (!header.includes('|') || !DELIMITER_ROW.test(delimiter) || !delimiter.includes('|')) return undefined;
  const rows = [cellsOf(header), cellsOf(delimiter)];
  if (rows[0]?.length !== rows[1]?.length) return undefined;
  for (let next = index + 2; next < lines.length; next++) {
    const line = lines[next] ?? '';
    if (!line.includes('|') || line.trim() === '' || FENCE.test(line)) break;
    rows.push(cellsOf(line));
  }
  return rows;
}

/** A row's cells: split at pipes not escaped, the outer pipes dropped, inline-code ticks and bold marks taken off (a code block shows them as typed). */
function cellsOf(row: string): string[] {
  const trimmed = row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|').replaceAll('**', '').replace(/`([^`]*)`/g, '$1'));
}

/** The table's lines, each column as wide as its widest cell; a column whose delimiter ends with a colon is right-aligned (numbers). */
function tableLines(rows: readonly string[][]): string[] {
  const [header = [], delimiter = [], ...body] = rows;
  const columns = header.length;
  const shaped = [header, ...body].map((row) => Array.from({ length: columns }, (_, column) => row[column] ?? ''));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(3, ...shaped.map((row) => displayWidth(row[column] ?? ''))));
  const right = delimiter.map((cell) => cell.endsWith(':') && !cell.startsWith(':'));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => {
        const padding = ' '.repeat((widths[column] ?? 0) - displayWidth(cell));
        return right[column] ? padding + cell : cell + padding;
      })
      .join(' | ')
      .trimEnd();
  const [head = [], ...rest] = shaped;
  return [line(head), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rest.map(line)];
}

/** Characters a monospace font draws two columns wide: East Asian wide and full-width ones. */
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;
/** An emoji drawn as a picture (two columns): one that is by default, or any followed by the emoji variation selector. */
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;
/** Marks drawn over the character before them, and zero-width spaces and joiners. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200B-\u200D]/u;

/** Columns `text` takes in a monospace font, near enough to line up a table: a grapheme counts 2 when wide or an emoji, else 1. */
function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += WIDE.test(segment) || EMOJI.test(segment) ? 2 : 1;
  }
  return width;
}

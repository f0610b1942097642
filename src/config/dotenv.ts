/**
 * A .env file's variables, read with Node's parseEnv after two kinds of tidying:
 * - the byte-order mark some Windows editors write (Notepad, PowerShell 5's `Out-File
 *   -Encoding utf8`): left in, it became part of the first name;
 * - lines parseEnv does not skip but glues to the next line's name, losing that setting in
 *   silence: an indented comment, a line without `=` (a key pasted without it), and the tab
 *   before an indented setting. They are dropped or unindented first; a quoted value that goes
 *   on over several lines is left exactly as written. A quote closed on no later line opens no
 *   such value: parseEnv reads it to the end of its line, and the lines below stay settings;
 * - `export` followed by more than one space or a tab (shell files allow it): parseEnv takes
 *   only `export ` off, so the name became " NAME" or "export\tNAME", a setting nobody reads.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export function readDotenv(path: string): Record<string, string> {
  return parseDotenv(readFileSync(path, 'utf8'));
}

export function parseDotenv(text: string): Record<string, string> {
  return parseEnv(tidyDotenv(text)) as Record<string, string>;
}

/** The text with the lines parseEnv would misread made harmless; line numbers are kept. */
export function tidyDotenv(text: string): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let openQuote: string | undefined;
  return lines
    .map((line, index) => {
      if (openQuote) {
        if (line.includes(openQuote)) openQuote = undefined;
        return line;
      }
      const setting = line.trimStart();
      if (setting === '' || setting.startsWith('#') || !setting.includes('=')) return '';
      const quote = unclosedQuote(setting);
      const exported = /^export\s+(?=\S)/.exec(setting);
      // Left untidied, the lines below a quote that never closes (a typo) glued an indented comment to the next name.
      if (quote && lines.slice(index + 1).some((later) => later.includes(quote))) openQuote = quote;
      return exported ? `export ${setting.slice(exported[0].length)}` : setting;
    })
    .join('\n');
}

/** The quote a setting's value opens and does not close on its line (a value that goes on below). */
function unclosedQuote(setting: string): string | undefined {
  const value = setting.slice(setting.indexOf('=') + 1).trimStart();
  const quote = value[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return undefined;
  return value.indexOf(quote, 1) === -1 ? quote : undefined;
}

/**
 * A .env file's variables. Node's parseEnv, after the byte-order mark some Windows editors
 * write (Notepad, PowerShell 5's `Out-File -Encoding utf8`): left in, it became part of the
 * first name, and that variable was silently missing.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export function readDotenv(path: string): Record<string, string> {
  return parseEnv(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as Record<string, string>;
}

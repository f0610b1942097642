/**
 * Loading a module someone wrote for Cairn (a custom reward, a tool module) by its path: JS as Node
 * imports it, TypeScript through tsx's `tsImport`, so it works the same whether Cairn runs compiled
 * (dist/) or from its sources. What fails to load is said with the path and, for a file that does
 * not parse, the line where it breaks: Node prints that part only when it exits.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { describeError } from './errors.js';

/** `.ts`, `.mts`, `.cts`: loaded through tsx. */
export const TYPESCRIPT_FILE = /\.[cm]?ts$/i;

/**
 * The module's exports. `what` names it in the error ("the reward module"): `cannot load <what> <path>: …`.
 */
export async function importUserModule(path: string, what: string): Promise<Record<string, unknown>> {
  try {
    const url = pathToFileURL(path).href;
    return (await (TYPESCRIPT_FILE.test(path) ? importTypeScript(url) : import(url))) as Record<string, unknown>;
  } catch (error) {
    // A plain value thrown at its top level has no message; a syntax error's has no line.
    const where = error instanceof SyntaxError ? await syntaxErrorAt(path) : undefined;
    throw new Error(`cannot load ${what} ${path}: ${describeError(error)}${where ? ` (at ${where})` : ''}`, { cause: error });
  }
}

/** Where a module that does not parse breaks (`file:line:column` and the line), from esbuild's parser; undefined when it finds nothing. */
async function syntaxErrorAt(path: string): Promise<string | undefined> {
  try {
    const { transform } = await import('esbuild');
    const loader = TYPESCRIPT_FILE.test(path) ? 'ts' : 'js';
    await transform(await readFile(path, 'utf8'), { loader, sourcefile: path });
    return undefined;
  } catch (error) {
    const location = (error as { errors?: { location?: { file: string; line: number; column: number; lineText: string } | null }[] }).errors?.[0]?.location;
    return location ? `${location.file}:${location.line}:${location.column + 1}: ${location.lineText.trim()}` : undefined;
  }
}

/** tsx (and esbuild under it) loads only when a TypeScript module does: it costs about 0.1 s to import. */
async function importTypeScript(url: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}

/**
 * The console's failure modes, mapped at one place: a closed stdout (the reader of
 * a pipe went away) ends the session quietly; anything else is a CairnError.
 */
import { CairnError } from '../../src/core/errors.js';

export function isClosedOutput(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'EPIPE';
}

export function mapConsoleError(error: unknown): CairnError {
  if (error instanceof CairnError) return error;
  if (isClosedOutput(error)) return new CairnError('unavailable', 'The console output was closed.', { platform: 'console', cause: error });
  return new CairnError('internal', `Console error: ${(error as Error)?.message ?? String(error)}`, { platform: 'console', cause: error });
}

/** Decodes one line of bytes; invalid UTF-8 is replaced, and the caller is told. */
export function decodeLine(bytes: Buffer): { text: string; invalidUtf8: boolean } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), invalidUtf8: false };
  } catch {
    return { text: new TextDecoder('utf-8').decode(bytes), invalidUtf8: true };
  }
}

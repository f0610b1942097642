/**
 * A file over the size a caller would read (`readFile`'s maxBytes). Callers say more than the
 * bare numbers: read_file how to page it with the terminal, send_file the platform's limit.
 */
import { CairnError } from '../core/errors.js';

export class FileTooLargeError extends CairnError {
  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super('invalid_input', `File is ${sizeBytes} bytes; the limit is ${maxBytes}.`);
    this.name = 'FileTooLargeError';
  }
}

/** The refusal the shell back ends' read script writes to stderr (shell.ts readFileCommand), as the error it stands for. */
export function fileTooLargeFromShell(stderr: string): FileTooLargeError | undefined {
  const said = /^File is (\d+) bytes; the limit is (\d+)\.$/m.exec(stderr);
  return said ? new FileTooLargeError(Number(said[1]), Number(said[2])) : undefined;
}

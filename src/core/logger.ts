/**
 * Structured logs with pino. Secrets never reach a log line: known key fields are
 * redacted by path, and every configured secret value is masked wherever it appears.
 * Log ids, not message bodies.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = Pick<PinoLogger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'child' | 'level'>;

export interface LoggerOptions {
  level: string;
  secrets?: readonly string[];
  destination?: DestinationStream;
}

const REDACT_PATHS = ['apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'password', '*.password'];

export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 8);
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const masked: DestinationStream = secrets.length === 0 ? destination : { write: (line: string) => destination.write(maskSecrets(line, secrets)) };
  return pino({ level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'cairn' } }, masked);
}

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[redacted]');
  return result;
}

/** A logger that drops everything, for tests and library callers that do not log. */
export const silentLogger: Logger = pino({ level: 'silent' });

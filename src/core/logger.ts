/**
 * Structured logs with pino. Secrets never reach a log line: known key fields are
 * redacted by path, every configured secret value is masked wherever it appears, and
 * so are credential shapes (a token someone pasted, in a request body a library logs).
 * Log ids, not message bodies.
 */
import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';
import { createRedactor } from './redact.js';

export type Logger = Pick<PinoLogger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'child' | 'level'>;

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: string;
  secrets?: readonly string[];
  /** Where lines go; stderr by default. */
  destination?: DestinationStream;
  /** json (one object per line, for log collectors) or pretty (for people); default pretty when logging to a terminal. */
  format?: LogFormat | undefined;
  /** Whether the lines end up on a terminal (default format, colours); default: no destination given and stderr is one. */
  terminal?: boolean;
}

/** The settings a logger is made from, as the loaded config has them. */
export interface LogSettings {
  logLevel?: string | undefined;
  logFormat?: LogFormat | undefined;
  secrets: readonly string[];
}

/** A command's logger from its config; `fallbackLevel` when CAIRN_LOG_LEVEL is unset. */
export function loggerFor(settings: LogSettings, fallbackLevel: string, output: Pick<LoggerOptions, 'destination' | 'terminal'> = {}): Logger {
  return createLogger({ level: settings.logLevel ?? fallbackLevel, secrets: settings.secrets, format: settings.logFormat, ...output });
}

const REDACT_PATHS = ['apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'password', '*.password'];

export function createLogger(options: LoggerOptions): Logger {
  // pino writes JSON: a secret holding a quote, a backslash or a control character appears escaped in the line.
  const secrets = [...new Set((options.secrets ?? []).filter((secret) => secret.length >= 8).flatMap((secret) => [JSON.stringify(secret).slice(1, -1), secret]))];
  const toTerminal = options.terminal ?? (options.destination === undefined && process.stderr.isTTY);
  const sink = options.destination ?? pino.destination({ dest: 2, sync: true });
  const destination = (options.format ?? (toTerminal ? 'pretty' : 'json')) === 'pretty' ? prettyStream(sink, toTerminal) : sink;
  // Credential shapes too: at debug and trace, libraries log what they send and receive (Slack's Web API client the
  // messages it posts, with a token a person pasted or a command printed), which no configured value covers.
  const redactor = createRedactor(secrets);
  const masked: DestinationStream = { write: (line: string) => destination.write(redactor.text(line)) };
  return pino({ level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'cairn' } }, masked);
}

/**
 * pino-pretty as a synchronous stream, so nothing is lost when a command exits right after
 * logging. Loaded only when asked for: a bot under a supervisor logs JSON and never needs it.
 */
function prettyStream(destination: DestinationStream, colorize: boolean): DestinationStream {
  const build = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return build({ destination, sync: true, colorize, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app', singleLine: true });
}

/** A logger that drops everything, for tests and library callers that do not log. */
export const silentLogger: Logger = pino({ level: 'silent' });

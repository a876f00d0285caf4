import { pino, type Logger, type DestinationStream } from 'pino';
import { answerLogContext } from './log-context.ts';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** Values that must never reach a log line (API keys, tokens); scrubbed from every line written. */
  secrets?: string[];
  /** @defaultValue stdout (fd 1) */
  destination?: DestinationStream;
  /** Bound to every line, e.g. `{ command: 'start' }`. Child loggers must not repeat these keys. */
  base?: Record<string, unknown>;
  /**
   * `json`: one object per line, for log shippers. `pretty`: one readable line per entry, for people.
   * `auto` picks pretty when the destination is a terminal and NODE_ENV is not production.
   * @defaultValue 'json'
   */
  format?: LogFormat;
  /** Decides `auto`. @defaultValue false */
  terminal?: boolean;
  /** Decides `auto`: production always logs JSON. @defaultValue 'development' */
  nodeEnv?: string;
  /** File descriptor the pretty printer writes to when no destination is given. @defaultValue 1 */
  fd?: 1 | 2;
}

/** Whether a logger with these options writes readable lines instead of JSON. */
export function prettyLogs(options: Pick<LoggerOptions, 'format' | 'terminal' | 'nodeEnv'>): boolean {
  if (options.format === 'pretty') return true;
  if (options.format === 'auto') return options.terminal === true && options.nodeEnv !== 'production';
  return false;
}

/**
 * Structured logs; secrets are scrubbed from the serialized line, whatever field they hide in.
 * Errors go through pino's `err` serializer, so a stack stays inside its JSON string and never
 * spills onto the terminal as loose lines.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 4);
  const fd = options.fd ?? 1;
  const destination = prettyLogs(options)
    ? pretty({
        destination: options.destination ?? fd,
        sync: true,
        colorize: options.terminal === true,
        translateTime: 'SYS:HH:MM:ss',
        singleLine: true,
        // A stack is for a bug report, not for the person watching: an error shows as its message
        // (and code) on the entry's line; the JSON format keeps the whole serialized error.
        ignore: 'pid,hostname,err',
        messageFormat: (entry, messageKey) => `${String(entry[messageKey] ?? '')}${entry.err === undefined ? '' : ` (${describeSerializedError(entry.err)})`}`,
      })
    : (options.destination ?? pino.destination({ dest: fd, sync: false }));
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      redact: { paths: ['*.authorization', '*.Authorization', '*.token', '*.apiKey', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
      // The running answer's jobId, platform, channelId, model, attempt and trace id on every line.
      mixin: answerLogContext,
    },
    destination,
  );
}

function describeSerializedError(value: unknown): string {
  const error = value as { message?: unknown; code?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message.split('\n')[0] : String(value);
  return typeof error?.code === 'string' && !String(message).includes(error.code) ? `${error.code}: ${message}` : String(message);
}

/**
 * Short-lived credentials that live in URLs rather than in the config: Discord interaction and
 * webhook tokens (`/interactions/<id>/<token>`, `/webhooks/<app id>/<token>`) appear in REST error
 * URLs and rate-limit details.
 */
const URL_TOKENS = /\b(webhooks|interactions)([/\\]+)(\d+)([/\\]+)[A-Za-z0-9_.-]{20,}/g;
/** The same pair without its route word, as discord.js reports a webhook's rate-limit "major parameter". */
const ID_TOKEN_PAIRS = /\b(\d{5,})([/\\]+)[A-Za-z0-9_.-]{40,}/g;

export function scrubSecrets(text: string, secrets: string[]): string {
  let scrubbed = text.replace(URL_TOKENS, '$1$2$3$4[redacted]').replace(ID_TOKEN_PAIRS, '$1$2[redacted]');
  for (const secret of secrets) if (secret && scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed;
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

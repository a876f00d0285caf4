import { pino, type Logger, type DestinationStream } from 'pino';
import { answerLogContext } from './log-context.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** Values that must never reach a log line (API keys, tokens); scrubbed from every line written. */
  secrets?: string[];
  /** @defaultValue stdout */
  destination?: DestinationStream;
  /** Bound to every line, e.g. `{ role: 'worker' }`. */
  base?: Record<string, unknown>;
}

/** Structured JSON logs; secrets are scrubbed from the serialized line, whatever field they hide in. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 4);
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      redact: { paths: ['*.authorization', '*.Authorization', '*.token', '*.apiKey', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
      // The running answer's jobId, platform, channelId, model, attempt and trace id on every line.
      mixin: answerLogContext,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
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

import { createRequire } from 'node:module';
import { REDACTED, redactUrl } from '@evcam/options';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';

const SECRET_KEY = /secret|passw(or)?d|token|credential|authorization|api[-_]?key|access[-_]?key|private[-_]?key|session[-_]?key|^key$|[-_]key$/i;
export { REDACTED };

/** Hide the password of every URL inside a string: amqp://user:[redacted]@host (the shared redactor). */
export function redactUrls(text: string): string {
  return redactUrl(text);
}

/**
 * An error's message followed by its causes' (pino's "message: cause: cause"), but a
 * cause whose message the text already contains is not repeated.
 */
export function messageWithCauses(err: Error): string {
  let text = err.message ?? '';
  const seen = new Set<unknown>([err]);
  for (let cause = err.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    if (cause.message && !text.includes(cause.message)) text += `: ${cause.message}`;
  }
  return text;
}

/** A deep copy of `value` with secret-looking keys and URL passwords redacted. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrls(value) : value;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'object' && typeof v !== 'boolean'
      ? REDACTED
      : redactSecrets(v, depth + 1);
  }
  return out;
}

export interface LogSettings {
  level: string;
  /** Write to this file instead of stderr. */
  file?: string;
  /** Pretty output (needs pino-pretty); default: when stderr is a TTY. */
  pretty?: boolean;
}

function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * The process logger: structured JSON on stderr (stdout stays free for `dump`),
 * secrets redacted by key name and inside URLs, also in error messages.
 */
export function createLogger(settings: LogSettings): PinoLogger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { app: 'evcam' },
    formatters: { log: (obj) => redactSecrets(obj) as Record<string, unknown> },
    serializers: {
      err: (err: unknown) => {
        if (err === null || err === undefined || typeof err !== 'object') return err;
        const serialized = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
        if (err instanceof Error) serialized.message = messageWithCauses(err);
        for (const key of ['message', 'stack']) {
          if (typeof serialized[key] === 'string') serialized[key] = redactUrls(serialized[key] as string);
        }
        return serialized;
      },
    },
  };
  const pretty = settings.pretty ?? (!settings.file && process.stderr.isTTY === true);
  if (pretty && !settings.file && hasPinoPretty()) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  const destination = pino.destination({ dest: settings.file ?? 2, sync: true, mkdir: true });
  return pino(options, destination);
}

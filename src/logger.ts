import { DriverException } from '@mikro-orm/core';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Readable single lines for people (development); JSON lines otherwise. */
  pretty: boolean;
  /** Where JSON lines go instead of stdout (tests); ignored when `pretty`. */
  destination?: DestinationStream;
}

/** Keys whose values never reach a log line, wherever they are (top level, or one or two levels down). */
const SECRET_KEYS = ['secret', 'secretHash', 'secret_hash', 'authorization', 'x-api-key', 'password', 'cookie'];

/** pino `redact` paths: each secret key at depths 0 to 2 (`secret`, `*.secret`, `*.*.secret`, `req.headers.authorization`…). */
export const REDACTED_PATHS: readonly string[] = [
  'apiKey',
  ...SECRET_KEYS.flatMap((key) => {
    const plain = /^\w+$/.test(key);
    const at = (prefix: string) => (plain ? `${prefix}${prefix ? '.' : ''}${key}` : `${prefix}["${key}"]`);
    return [at(''), at('*'), at('*.*')];
  }),
];

/** SQL statements (with their values inlined) prefix the messages of database errors: `insert into … - <reason>`. */
const SQL_TEXT =
  /^\s*\(?\s*(select|insert|update|delete|with|create|alter|drop|begin|commit|rollback|savepoint|release|pragma)\b/i;

/**
 * An error as it may be logged: type, message, stack, code and cause, nothing else. A database error
 * loses the SQL that knex puts in front of its message (MikroORM inlines the values there: emails,
 * secret hashes) and every other property (`sql`, `params`, `query`, `detail`…), keeping the driver's
 * reason and code.
 */
export function safeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const fromDatabase = error instanceof DriverException || SQL_TEXT.test(error.message);
  let message = error.message;
  let stack = error.stack;
  if (fromDatabase) {
    const cut = message.lastIndexOf(' - ');
    message = cut >= 0 ? message.slice(cut + 3) : SQL_TEXT.test(message) ? '(SQL omitted)' : message;
    const frames = (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    stack = [`${error.name}: ${message}`, ...frames].join('\n');
  }
  const safe: Record<string, unknown> = { type: error.name, message, stack };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') safe.code = code;
  if (error.cause !== undefined) safe.cause = safeError(error.cause);
  return safe;
}

/** The process logger: JSON in production, readable lines in development. Secrets are redacted, SQL is never logged. */
export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    serializers: { err: safeError },
  };
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        // One line per log call (fields inline, as JSON): `LOG_CATEGORIES=CACHE` is one line per lookup.
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
      },
    });
  }
  return destination ? pino(options, destination) : pino(options);
}

import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Readable lines for people (development); JSON lines otherwise. */
  pretty: boolean;
}

/** The process logger: JSON in production, readable lines in development. Secrets are redacted. */
export function createLogger({ level, pretty }: LoggerOptions): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'secret', '*.secret', 'apiKey'],
      censor: '[redacted]',
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}

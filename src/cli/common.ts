/** What every command of the CLI shares: its errors, exit codes, deadlines and formatting helpers. */
import { CacheTimeoutError, withDeadline } from '../cache/deadline';

/** Exit codes of `npm run cache` (documented in `--help` and the README). */
export const EXIT = {
  ok: 0,
  /** A runtime failure: the server or Redis did not answer, refused, or answered something unexpected. */
  failure: 1,
  /** A usage or configuration error: nothing was tried; fix the command line or the environment. */
  usage: 2,
} as const;

/** An error the CLI reports as one line (no stack trace), exiting with `code`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** A usage or configuration error (exit 2). */
export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** Rejects with a {@link CliError} naming `what` when `promise` does not settle within `ms`. */
export async function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  try {
    return await withDeadline(promise, ms, what);
  } catch (error) {
    // Ours, not a deadline of the call itself (which says what it waited for).
    if (error instanceof CacheTimeoutError && error.label === what && error.timeoutMs === ms) {
      throw new CliError(`${what} did not answer within ${ms} ms`);
    }
    throw error;
  }
}

/** `1.2 KiB`, `340 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Milliseconds as `299.1s`, `12m 3s`, `2h 5m`. */
export function formatMs(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A plain-text table: a header row, then rows; columns listed in `right` are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The message of anything thrown, on one line. */
export function messageOf(error: unknown): string {
  const text =
    error instanceof AggregateError && error.errors.length > 0
      ? (error.errors as unknown[]).map(messageOf).join('; ')
      : error instanceof Error
        ? error.message || error.name
        : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Option validators, one per kind of option. Each throws a `RangeError` whose message names the option,
 * what it must be, and what it got: "`timeoutMs` must be a finite number of milliseconds greater than 0, got: 0".
 */

/** A finite number greater than 0, in `unit` (e.g. `milliseconds`, `seconds`). */
export function assertPositive(option: string, value: unknown, unit: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`\`${option}\` must be a finite number of ${unit} greater than 0, got: ${String(value)}`);
  }
}

/** A whole number of `unit` (e.g. `entries`, `bytes`) at least `min`. */
export function assertWholeNumber(option: string, value: unknown, unit: string, min = 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`\`${option}\` must be a whole number of ${unit} of at least ${min}, got: ${String(value)}`);
  }
}

/** A key prefix: letters, digits, `_`, `.` or `-`, in segments joined by single `:`. */
export function assertKeyPrefix(option: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !/^[\w.-]+(?::[\w.-]+)*$/.test(value)) {
    throw new RangeError(
      `\`${option}\` must be letters, digits, '_', '.' or '-', in segments joined by single ':', got: ${JSON.stringify(value)}`,
    );
  }
}

/** The time-to-live of an entry: a finite number of seconds greater than 0. */
export function assertTtlSeconds(ttlSeconds: unknown): asserts ttlSeconds is number {
  assertPositive('ttlSeconds', ttlSeconds, 'seconds');
}

/**
 * The error a cache call rejects with when it does not settle within its deadline.
 * Callers treat it like any other cache failure: a miss for reads, a fallback for writes.
 */
export class CacheTimeoutError extends Error {
  override readonly name = 'CacheTimeoutError';

  private constructor(
    /** What was being waited for, e.g. `redis get`. */
    readonly label: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(
      `${label} did not answer within ${timeoutMs} ms; the cache treats it as a miss. ` +
        'If the backend is healthy but slow, raise the cache timeout.',
    );
  }

  /** The error for `label` having missed a deadline of `timeoutMs` milliseconds. */
  static after(label: string, timeoutMs: number): CacheTimeoutError {
    return new CacheTimeoutError(label, timeoutMs);
  }
}

/**
 * Settles like `promise`, or rejects with a {@link CacheTimeoutError} once `ms` milliseconds have passed,
 * whichever comes first. The timer is cleared as soon as `promise` settles, and a late rejection of
 * `promise` (the loser of the race) is absorbed, so it never surfaces as an unhandled rejection.
 *
 * @param promise - the call to bound; it is not cancelled, only no longer waited for.
 * @param ms - the deadline, in milliseconds.
 * @param label - names the call in the error message, e.g. `redis get`.
 */
export function withDeadline<T>(promise: PromiseLike<T>, ms: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // On expiry, one more turn of the event loop before rejecting: when a synchronous stretch (a large
    // query's parse or execution) held the loop past the deadline, an answer that arrived meanwhile is
    // still waiting to be read, and the poll phase reads it before this check-phase callback runs.
    const timer = setTimeout(() => setImmediate(() => reject(CacheTimeoutError.after(label, ms))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

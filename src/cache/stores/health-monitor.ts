import { withDeadline } from '../deadline';
import type { CacheLogger } from '../types';

/** `starting` and `unhealthy` use the fallback; `recovering` writes to both and reads the fallback. */
export type Health = 'starting' | 'unhealthy' | 'recovering' | 'healthy';

/** Options of {@link HealthMonitor}; times in **milliseconds**. */
export interface HealthMonitorOptions {
  /** Asks the watched backend whether it answers (bounded by `timeoutMs` here). */
  ping(): Promise<void>;
  timeoutMs: number;
  /** First delay between probes of an unhealthy backend. */
  minBackoffMs: number;
  /** Longest delay between probes (the delay doubles after each failed probe). */
  maxBackoffMs: number;
  /** Pings while healthy, so an idle instance notices an outage too; 0 turns it off. */
  healthCheckIntervalMs: number;
  /**
   * Runs once the backend answers, before it is declared healthy; throwing keeps it unhealthy.
   * `afterOutage` is false only when the very first probe answered (a normal start).
   */
  recover(afterOutage: boolean): Promise<void>;
  /** Told of each change between healthy and not. */
  onChange(healthy: boolean): void;
  logger: CacheLogger;
  /** What is watched, for log lines: `Redis`. */
  label: string;
}

/**
 * The health of a shared backend, as a four-state machine with its timers: it starts unhealthy and
 * probes at once; a failed call ({@link HealthMonitor.failed}) makes it unhealthy; probes back off
 * exponentially; a probe that answers runs `recover` and then makes it healthy. One log line per change.
 */
export class HealthMonitor {
  #state: Health = 'starting';
  #closed = false;
  #probing = false;
  #timer: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #recoverFailureLogged = false;
  #downSince: number | undefined;

  constructor(private readonly opts: HealthMonitorOptions) {
    this.#backoffMs = opts.minBackoffMs;
    this.#schedule(0);
    if (opts.healthCheckIntervalMs > 0) {
      this.#interval = setInterval(() => void this.#healthCheck(), opts.healthCheckIntervalMs);
      this.#interval.unref();
    }
  }

  get state(): Health {
    return this.#state;
  }

  /** A call to the backend failed or timed out. */
  failed(error: unknown): void {
    if (this.#closed) return;
    if (this.#state === 'recovering') {
      this.#state = 'unhealthy'; // the running probe sees it and retries later
      return;
    }
    if (this.#state !== 'healthy') return;
    this.#state = 'unhealthy';
    this.#downSince = Date.now();
    this.opts.logger.warn(
      { err: error, backend: 'memory' },
      `cache: ${this.opts.label} failed or timed out; using the memory store until it answers again`,
    );
    this.opts.onChange(false);
    this.#backoffMs = this.opts.minBackoffMs;
    this.#scheduleRetry();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#interval);
  }

  async #healthCheck(): Promise<void> {
    if (this.#state !== 'healthy' || this.#closed) return;
    // A health ping is off the request path: it may wait longer than a request's call would. It only
    // has to tell an outage (which requests' own calls notice at once) on an idle instance, not judge a
    // process that is busy with a large query. One slow answer is confirmed by a second ping.
    const deadline = Math.max(this.opts.timeoutMs * 10, 500);
    try {
      await withDeadline(this.opts.ping(), deadline, 'ping');
    } catch {
      try {
        await withDeadline(this.opts.ping(), deadline, 'ping');
      } catch (error) {
        this.failed(error);
      }
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#timer || this.#probing) return;
    this.#timer = setTimeout(() => void this.#probe(), delayMs);
    this.#timer.unref();
  }

  #scheduleRetry(): void {
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.opts.maxBackoffMs);
    this.#schedule(delay);
  }

  async #probe(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#probing = true;
    const first = this.#state === 'starting';
    try {
      await this.#tryRecover();
    } finally {
      this.#probing = false;
    }
    if (this.#closed) return;
    if (this.#state === 'recovering') this.#becomeHealthy(first);
    else this.#scheduleRetry();
  }

  /** Leaves the state `recovering` when the backend is ready to serve, `unhealthy` otherwise. */
  async #tryRecover(): Promise<void> {
    try {
      await withDeadline(this.opts.ping(), this.opts.timeoutMs, 'ping');
    } catch (error) {
      if (this.#state === 'starting') {
        this.opts.logger.warn(
          { err: error, backend: 'memory' },
          `cache: ${this.opts.label} is not reachable; using the memory store until it answers`,
        );
      }
      this.#state = 'unhealthy';
      return;
    }
    const afterOutage = this.#state !== 'starting';
    this.#state = 'recovering';
    try {
      await this.opts.recover(afterOutage);
    } catch (error) {
      if (!this.#recoverFailureLogged) {
        this.opts.logger.warn(
          { err: error, backend: 'memory' },
          `cache: ${this.opts.label} answers but recovery failed; staying on the memory store and retrying`,
        );
      }
      this.#recoverFailureLogged = true; // once per outage, not once per probe
      this.#state = 'unhealthy';
    }
  }

  #becomeHealthy(first: boolean): void {
    const downMs = this.#downSince === undefined ? undefined : Date.now() - this.#downSince;
    this.#state = 'healthy';
    this.#downSince = undefined;
    this.#backoffMs = this.opts.minBackoffMs;
    this.#recoverFailureLogged = false;
    if (first) this.opts.logger.info({ backend: 'redis' }, `cache: connected to ${this.opts.label}`);
    else this.opts.logger.info({ backend: 'redis', downMs }, `cache: ${this.opts.label} answers again; using it`);
    this.opts.onChange(true);
  }
}

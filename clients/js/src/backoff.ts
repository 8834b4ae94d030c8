/**
 * Reconnect delays: exponential backoff with full jitter.
 *
 * Attempt n (0-based) waits a uniformly random time in [0, min(maxMs, baseMs·2ⁿ)), so
 * a crowd of clients dropped by one server restart spreads its reconnects instead of
 * arriving together. This module owns only the arithmetic and the attempt counter.
 */

/** Backoff settings (milliseconds). */
export interface BackoffOptions {
  /** The cap of the first attempt's delay (default 250). */
  baseMs?: number;
  /** The largest cap (default 30000). */
  maxMs?: number;
  /**
   * A connection that stays up this long (after `hello`) starts the count over
   * (default 5000), so a server that accepts and drops at once (a crash loop) still
   * sees growing delays.
   */
  resetAfterMs?: number;
}

/** An attempt counter that hands out jittered delays. */
export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.baseMs = Math.max(1, options.baseMs ?? 250);
    this.maxMs = Math.max(this.baseMs, options.maxMs ?? 30000);
    this.resetAfterMs = Math.max(0, options.resetAfterMs ?? 5000);
  }

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.random() * cap);
  }

  /** A delay with jitter only (the room moved: reconnect at once, but not in step). */
  jitterOnly(): number {
    return Math.floor(this.random() * this.baseMs);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Back to the first attempt (after a connection that stayed up `resetAfterMs`). */
  reset(): void {
    this.attempt = 0;
  }
}

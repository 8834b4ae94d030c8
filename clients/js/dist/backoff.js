/**
 * Reconnect delays: exponential backoff with full jitter.
 *
 * Attempt n (0-based) waits a uniformly random time in [0, min(maxMs, baseMs·2ⁿ)), so
 * a crowd of clients dropped by one server restart spreads its reconnects instead of
 * arriving together. This module owns only the arithmetic and the attempt counter.
 */
/** An attempt counter that hands out jittered delays. */
export class Backoff {
    random;
    attempt = 0;
    baseMs;
    maxMs;
    resetAfterMs;
    constructor(options = {}, random = Math.random) {
        this.random = random;
        this.baseMs = Math.max(1, options.baseMs ?? 250);
        this.maxMs = Math.max(this.baseMs, options.maxMs ?? 30000);
        this.resetAfterMs = Math.max(0, options.resetAfterMs ?? 5000);
    }
    /** The delay before the next attempt; each call counts one attempt. */
    next() {
        const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
        this.attempt += 1;
        return Math.floor(this.random() * cap);
    }
    /** A delay with jitter only (the room moved: reconnect at once, but not in step). */
    jitterOnly() {
        return Math.floor(this.random() * this.baseMs);
    }
    /** Attempts made since the last reset. */
    get attempts() {
        return this.attempt;
    }
    /** Back to the first attempt (after a connection that stayed up `resetAfterMs`). */
    reset() {
        this.attempt = 0;
    }
}

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
export declare class Backoff {
    private readonly random;
    private attempt;
    readonly baseMs: number;
    readonly maxMs: number;
    readonly resetAfterMs: number;
    constructor(options?: BackoffOptions, random?: () => number);
    /** The delay before the next attempt; each call counts one attempt. */
    next(): number;
    /** A delay with jitter only (the room moved: reconnect at once, but not in step). */
    jitterOnly(): number;
    /** Attempts made since the last reset. */
    get attempts(): number;
    /** Back to the first attempt (after a connection that stayed up `resetAfterMs`). */
    reset(): void;
}

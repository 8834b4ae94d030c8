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
}
/** An attempt counter that hands out jittered delays. */
export declare class Backoff {
    private readonly random;
    private attempt;
    readonly baseMs: number;
    readonly maxMs: number;
    constructor(options?: BackoffOptions, random?: () => number);
    /** The delay before the next attempt; each call counts one attempt. */
    next(): number;
    /** A delay with jitter only (the room moved: reconnect at once, but not in step). */
    jitterOnly(): number;
    /** Attempts made since the last reset. */
    get attempts(): number;
    /** Back to the first attempt (after a connection that got as far as `hello`). */
    reset(): void;
}

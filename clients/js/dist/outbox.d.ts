/**
 * Client-side pacing of outgoing frames. The server counts every frame against a
 * token bucket (`hello.limits.msgs_per_sec` / `burst`); frames over it are dropped
 * with `rate_limited`, and enough of those close the connection. The outbox keeps
 * the client under that bucket (with a margin) by queueing frames and writing them
 * as tokens refill. One outbox lives as long as one connection.
 */
export declare class Outbox {
    private readonly write;
    private readonly queue;
    private tokens;
    private last;
    private timer;
    private readonly ratePerMs;
    private readonly capacity;
    private stopped;
    /**
     * `write` puts one frame on the socket. `msgsPerSec` and `burst` are the server's
     * limits; the outbox uses 90% of the rate and keeps two tokens in reserve for the
     * WebSocket-level pongs the implementation sends by itself.
     */
    constructor(write: (text: string) => void, msgsPerSec: number, burst: number);
    /** Queues `text`; written at once when the bucket allows. */
    push(text: string): void;
    /** Frames waiting for tokens. */
    get backlog(): number;
    /** Drops the queue and stops writing (the connection is gone). */
    stop(): void;
    private pump;
}

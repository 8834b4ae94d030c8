/**
 * Client-side pacing of outgoing frames. The server counts every frame against a
 * token bucket (`hello.limits.msgs_per_sec` / `burst`); frames over it are dropped
 * with `rate_limited`, and enough of those close the connection. The outbox keeps
 * the client under that bucket (with a margin) by queueing frames and writing them
 * as tokens refill. One outbox lives as long as one connection.
 */

export class Outbox {
  private readonly queue: string[] = [];
  private tokens: number;
  private last: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private stopped = false;

  /**
   * `write` puts one frame on the socket. `msgsPerSec` and `burst` are the server's
   * limits; the outbox uses 90% of the rate and keeps two tokens in reserve for the
   * WebSocket-level pongs the implementation sends by itself.
   */
  constructor(private readonly write: (text: string) => void, msgsPerSec: number, burst: number) {
    this.ratePerMs = Math.max(0.001, (msgsPerSec * 0.9) / 1000);
    this.capacity = Math.max(1, burst - 2);
    this.tokens = this.capacity;
    this.last = Date.now();
  }

  /** Queues `text`; written at once when the bucket allows. */
  push(text: string): void {
    if (this.stopped) return;
    this.queue.push(text);
    this.pump();
  }

  /** Frames waiting for tokens. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Drops the queue and stops writing (the connection is gone). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.stopped || this.timer !== undefined) return;
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.write(this.queue.shift()!);
      if (this.stopped) return;
    }
    if (this.queue.length > 0) {
      const wait = Math.ceil((1 - this.tokens) / this.ratePerMs);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
    }
  }
}

/**
 * A small typed event emitter (no dependency on Node's `events` or the DOM's
 * `EventTarget`, so it runs the same in browsers and Node). It owns listener
 * bookkeeping and `waitFor`, the awaitable form of `on` with a bounded wait.
 */

import type { ClientEvent, ClientEventType, EventOf } from "./types.js";

type Listener<T extends ClientEventType> = (event: EventOf<T>) => void;

/** Listeners per event type; a listener that throws does not stop the others. */
export class Emitter {
  private readonly listeners = new Map<string, Set<(event: ClientEvent) => void>>();

  /** Calls `listener` for every event of `type`; returns a function that unsubscribes. */
  on<T extends ClientEventType>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (event: ClientEvent) => void);
    return () => this.off(type, listener);
  }

  /** Removes a listener added with `on`. */
  off<T extends ClientEventType>(type: T, listener: Listener<T>): void {
    this.listeners.get(type)?.delete(listener as (event: ClientEvent) => void);
  }

  /**
   * The next event of `type` for which `predicate` holds. Rejects after `timeoutMs`
   * (when given) with an error naming the event waited for.
   */
  waitFor<T extends ClientEventType>(
    type: T,
    predicate: (event: EventOf<T>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<EventOf<T>> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const off = this.on(type, (event) => {
        if (!predicate(event)) return;
        off();
        if (timer !== undefined) clearTimeout(timer);
        resolve(event);
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`roomd: no "${type}" event matching the condition within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** Delivers `event` to the listeners of its type. */
  emit(event: ClientEvent): void {
    const set = this.listeners.get(event.type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        // A throwing listener is the application's bug; report it without breaking
        // the client's own state machine.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/**
 * A small typed event emitter (no dependency on Node's `events` or the DOM's
 * `EventTarget`, so it runs the same in browsers and Node). It owns listener
 * bookkeeping and `waitFor`, the awaitable form of `on` with a bounded wait.
 */
import type { ClientEvent, ClientEventType, EventOf } from "./types.js";
type Listener<T extends ClientEventType> = (event: EventOf<T>) => void;
/** Listeners per event type; a listener that throws does not stop the others. */
export declare class Emitter {
    private readonly listeners;
    /** Calls `listener` for every event of `type`; returns a function that unsubscribes. */
    on<T extends ClientEventType>(type: T, listener: Listener<T>): () => void;
    /** Removes a listener added with `on`. */
    off<T extends ClientEventType>(type: T, listener: Listener<T>): void;
    /**
     * The next event of `type` for which `predicate` holds. Rejects after `timeoutMs`
     * (when given) with an error naming the event waited for.
     */
    waitFor<T extends ClientEventType>(type: T, predicate?: (event: EventOf<T>) => boolean, timeoutMs?: number): Promise<EventOf<T>>;
    /** Delivers `event` to the listeners of its type. */
    emit(event: ClientEvent): void;
}
export {};

/**
 * `RoomdClient`: one logical connection to roomd that survives dropped sockets.
 *
 * It owns the connection state machine (connect → `hello` → join every room →
 * resend what is unacked; on close, apply the close-code policy of ./errors.ts and
 * reconnect with ./backoff.ts), the per-room delivery state that makes the
 * application see every message once and in order across reconnects (the last seq
 * handed to the application, `after_seq` on rejoin, gap filling from history when a
 * rejoin is `truncated`), and the pending requests (sends until their `ack`, history
 * pages, read positions, deletions, command registrations) that are written again on the next
 * connection. Bot command handling lives in ./commands.ts, the socket in ./socket.ts.
 */
import { type BackoffOptions } from "./backoff.js";
import { type CommandHandler, type CommandOptions } from "./commands.js";
import { RoomdError } from "./errors.js";
import { type TokenCarrier, type WebSocketConstructor } from "./socket.js";
import type { Ack, ClientEventType, Deleted, EventOf, HistoryPage, JoinedEvent, Limits, MessageEvent, RegisteredEvent, UserRef } from "./types.js";
/** A token, or a function asked for one before every connection attempt. */
export type TokenSource = string | (() => string | Promise<string>);
/** Options of {@link connect} / {@link RoomdClient}. */
export interface ClientOptions {
    /**
     * An opaque token (`rmd_…`) or an HS256 JWT, or a (possibly async) function that
     * returns one; the function is called again before every reconnect, and a token
     * expiry (close 4501) then reconnects with a fresh token instead of stopping.
     */
    token: TokenSource;
    /** A WebSocket constructor; default `globalThis.WebSocket` (e.g. pass `WebSocket` from `ws` on Node 20). */
    WebSocket?: WebSocketConstructor;
    /** How the token travels; default `subprotocol` (see ./socket.ts). */
    tokenCarrier?: TokenCarrier;
    /**
     * Reconnect backoff (default: first delay under 250 ms, doubling up to 30 s, full
     * jitter; the count starts over once a connection stayed up 5 s).
     */
    reconnectBackoff?: BackoffOptions;
    /** Resend backoff after `room_unavailable` (default: under 100 ms, doubling up to 2 s). */
    retryBackoff?: BackoffOptions;
    /** A connection that has not said `hello` within this is dropped and retried (default 10000). */
    handshakeTimeoutMs?: number;
}
/** Options of {@link RoomdClient.send}. */
export interface SendOptions {
    /** The message's `client_id`; default a fresh random one. Resends reuse it. */
    clientId?: string;
    /** A bot's answer to a command: the invocation id. */
    replyTo?: string;
}
/** Options of {@link RoomdClient.delete}. */
export interface DeleteOptions {
    /** Why (at most 200 characters, no NUL); goes to the server's audit log. */
    reason?: string;
}
/** Options of {@link RoomdClient.join}. */
export interface JoinOptions {
    /**
     * Resume after this seq: the messages after it are replayed first. Without it the
     * application sees the messages after the room's seq at the time of the join.
     */
    afterSeq?: number;
}
/**
 * The client. Create it with {@link connect} (which waits for the first `hello`) or
 * with `new RoomdClient(url, options)` followed by `start()`.
 */
export declare class RoomdClient {
    readonly url: string;
    private readonly options;
    private readonly emitter;
    private readonly Ctor;
    private readonly carrier;
    private readonly backoff;
    private readonly retryOptions;
    private readonly handshakeTimeoutMs;
    private readonly rooms;
    private readonly ops;
    private readonly commands;
    private conn;
    private state;
    private reconnectTimer;
    private connectedOnce;
    private firstOpen;
    private closedResult;
    /** The user this client is connected as (from the latest `hello`). */
    user: UserRef | undefined;
    /** The server session id (from the latest `hello`). */
    session: string | undefined;
    /** The limits of the latest `hello`. */
    limits: Limits | undefined;
    constructor(url: string, options: ClientOptions);
    /** Starts connecting (idempotent). */
    start(): this;
    /**
     * Resolves on the first `hello`; retryable failures (server down, reset) are
     * retried meanwhile. Rejects with the typed error when the client stops first.
     */
    opened(): Promise<void>;
    /** Resolves when the client has stopped for good: with the error, or `undefined` after `close()`. */
    get closed(): Promise<RoomdError | undefined>;
    /** Whether a connection is up now (past `hello`). */
    get connected(): boolean;
    /** Calls `listener` for every event of `type`; returns the unsubscribe function. */
    on<T extends ClientEventType>(type: T, listener: (event: EventOf<T>) => void): () => void;
    /** Removes a listener. */
    off<T extends ClientEventType>(type: T, listener: (event: EventOf<T>) => void): void;
    /** The next event of `type` matching `predicate`, waiting at most `timeoutMs` when given. */
    waitFor<T extends ClientEventType>(type: T, predicate?: (event: EventOf<T>) => boolean, timeoutMs?: number): Promise<EventOf<T>>;
    /**
     * Joins `room` (and joins it again after every reconnect, resuming after the last
     * message handed to the application). Resolves with the first `joined`.
     */
    join(room: string, options?: JoinOptions): Promise<JoinedEvent>;
    /** Leaves `room`: its unanswered requests reject, and it is not joined again. */
    leave(room: string): void;
    /**
     * Sends `text` to `room`. Resolves with the `ack` once the message is stored. If
     * the connection drops first, the send is written again (same `client_id`) after
     * the room is joined again, so it is stored once; `room_unavailable` and
     * `rate_limited` are retried. Rejects with {@link RequestRefused} when the server
     * refuses it for good, or with the error that stopped the client.
     */
    send(room: string, text: string, options?: SendOptions): Promise<Ack>;
    /** One page of `room`'s history before `beforeSeq` (newest page without it), oldest first. */
    historyPage(room: string, options?: {
        beforeSeq?: number;
        limit?: number;
    }): Promise<HistoryPage>;
    /**
     * `room`'s history backwards, newest first, from before `beforeSeq` (from the
     * newest message without it), fetching pages of `pageSize` (default 100) as it goes.
     */
    history(room: string, options?: {
        beforeSeq?: number;
        pageSize?: number;
    }): AsyncGenerator<MessageEvent>;
    /**
     * Deletes the message `seq` of `room` (your own, or anyone's with role moderator or
     * higher). Resolves with the server's `deleted` reply once the tombstone is stored
     * (deleting a tombstone again resolves with the original deleter and time); every
     * session in the room, this one too, also gets a `message_deleted` event. Rejects
     * with {@link RequestRefused}: `errorCode` `forbidden` (another's message without
     * the role), `not_found` (no message with that seq), `not_joined`. Written again
     * after a reconnect if unanswered (a repeat is harmless).
     */
    delete(room: string, seq: number, options?: DeleteOptions): Promise<Deleted>;
    /** Moves this user's read position in `room` to `seq`; resolves with the position in force. */
    markRead(room: string, seq: number): Promise<number>;
    /** Tells the room this user is typing (ephemeral: dropped while disconnected). Returns whether it was sent. */
    typing(room: string, active: boolean): boolean;
    /**
     * Registers a bot command `name` in `room` (or `*`) on the current connection.
     * Low level: {@link command} registers in every joined room and again after
     * every reconnect.
     */
    registerCommand(room: string, name: string, description?: string, minRole?: string): Promise<RegisteredEvent>;
    /**
     * Bot helper: handles `!name` in every room this client joins (or only in
     * `options.rooms`), registering it after every join and rejoin. The handler's
     * return value (a string) or `ctx.reply(text)` is sent as the answer, with
     * `reply_to` = the invocation id. Returns a function that stops handling it.
     */
    command(name: string, options: CommandOptions, handler: CommandHandler): () => void;
    /** The last seq handed to the application in `room` (the resume point). */
    lastSeq(room: string): number | undefined;
    /** Closes the connection for good; pending requests reject with {@link ClientClosed}. */
    close(): void;
    private connectOnce;
    /** Gives up on a connection that is open but not working; reconnects. */
    private abandon;
    /** Marks a connection over: stops its timers and outbox, forgets what was written on it. */
    private endConn;
    private onClose;
    /** Stops for good: rejects everything pending, emits `close`. */
    private stop;
    private onHello;
    /**
     * Sends a `ping` when the server has been silent for a heartbeat interval, and
     * drops a connection silent for two intervals plus a margin (a half-open TCP
     * connection, which no close event would ever report).
     */
    private watchLiveness;
    private write;
    private onText;
    private sendJoin;
    private onJoined;
    private onMessage;
    private onMessageDeleted;
    /**
     * Hands `m` to the application unless it was handed over already. A seq past a
     * hole (which the protocol never sends within a connection; kept as a safeguard)
     * pages the hole from history first.
     */
    private deliver;
    /** Pages `(from, to]` from history and delivers it, then the live messages held meanwhile. */
    private fillGap;
    /** Drops a room: its join waiters and requests reject with `error`. */
    private forgetRoom;
    private historyRequest;
    /** Creates a request for a room; written when the room is joined on the current connection. */
    private request;
    private tryWrite;
    /** Resolves the request `f.id` answers; false when it answers none. */
    private answer;
    private retryLater;
    private onError;
    private onNotice;
}
/**
 * Connects to roomd at `url` (`ws://host:port/ws`) and resolves once the server
 * said `hello`. A server that is down is retried with backoff meanwhile; a fatal
 * close (bad, revoked or expired token, …) rejects with the typed error.
 */
export declare function connect(url: string, options: ClientOptions): Promise<RoomdClient>;

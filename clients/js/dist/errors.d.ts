/**
 * Errors, and the close-code policy.
 *
 * This module owns two things: the typed error classes the library raises (every one
 * a {@link RoomdError} with a `code` and a `reason`), and {@link closePolicy}, the one
 * place that decides what a close code means for the connection: reconnect (after a
 * backoff, or at once) or stop with a typed error. The table it implements is the
 * close-code table of docs/PROTOCOL.md (protocol 1.1).
 */
/** The base class of every error this library raises or emits. */
export declare class RoomdError extends Error {
    /**
     * A WebSocket close code (1000–4999) for connection errors, `0` for errors that
     * have none (a refused request, a closed client).
     */
    readonly code: number;
    /** The server's close reason or error message, as sent. */
    readonly reason: string;
    constructor(code: number, reason: string, message?: string);
}
/** 4500, or a handshake answered with HTTP 401: a missing, unknown or invalid token. */
export declare class Unauthorized extends RoomdError {
}
/** 4501: the token expired (without a token provider there is no fresh one to try). */
export declare class TokenExpired extends RoomdError {
}
/** 4502: the token was revoked. */
export declare class TokenRevoked extends RoomdError {
}
/** 4503: an operator disconnected this client. */
export declare class DisconnectedByOperator extends RoomdError {
}
/** 1002 / 1007 / 1009: the server saw a protocol violation: a bug on the client side. */
export declare class ProtocolViolation extends RoomdError {
}
/**
 * A close the library does not reconnect after that is none of the above: 1000 sent
 * by the server unasked, another code from 4500–4999, or a server that does not
 * speak `roomd.v1`.
 */
export declare class ConnectionClosed extends RoomdError {
}
/** The application called `close()` (pending sends and requests reject with this). */
export declare class ClientClosed extends RoomdError {
    constructor();
}
/**
 * A request the server refused with an `error` frame (`code` is the protocol's error
 * code, e.g. `not_joined`, `too_large`, `forbidden`, `not_found`; `banned` and `muted`
 * are the subclasses {@link Banned} and {@link Muted}), or with a `notice` (a send that
 * was not stored: `code` is `notice`, `reason` the notice's reason, e.g. `repeated`).
 */
export declare class RequestRefused extends RoomdError {
    /** The protocol error code (`bad_request`, `not_joined`, …) or `notice`. */
    readonly errorCode: string;
    /** A notice's `reason` (`repeated`, `banned_word`), when the refusal was a notice. */
    readonly noticeReason: string | undefined;
    constructor(errorCode: string, message: string, noticeReason?: string);
}
/**
 * A `join` refused with `banned`: this user is banned from the room. `expiresAt` is
 * when the ban lapses (RFC 3339), or `null` for a ban until lifted.
 */
export declare class Banned extends RequestRefused {
    readonly room: string;
    readonly expiresAt: string | null;
    constructor(room: string, message: string, expiresAt: string | null);
}
/**
 * A `send` refused with `muted`: this user may read the room but not post (the
 * message was not stored, and the client does not resend it). `expiresAt` is when
 * the mute lapses (RFC 3339), or `null` for a mute until lifted.
 */
export declare class Muted extends RequestRefused {
    readonly room: string;
    readonly expiresAt: string | null;
    constructor(room: string, message: string, expiresAt: string | null);
}
/** The room was closed (deleted, or this user removed): `reason` says which. */
export declare class RoomClosed extends RoomdError {
    readonly room: string;
    constructor(room: string, reason: string);
}
/** What to do after a connection ended. */
export type CloseAction = 
/** Reconnect after the exponential backoff, and resume. */
{
    kind: "reconnect";
    minDelayMs?: number;
}
/** Reconnect at once (jitter only), and resume: the room moved (1012), a heartbeat
 * timeout (4000) or a slow-consumer close (4001). */
 | {
    kind: "reconnect-now";
}
/** 4501: reconnect only if the token comes from a provider; else stop with `error`. */
 | {
    kind: "refresh-token";
    error: RoomdError;
}
/** Do not reconnect; raise `error`. */
 | {
    kind: "stop";
    error: RoomdError;
};
/**
 * The close-code table of docs/PROTOCOL.md. `httpStatus` is the handshake's HTTP
 * status when the WebSocket implementation reports one (the `ws` package does; a
 * browser never does, which is why a 1.1 server upgrades and closes with 4500–4502
 * instead of answering 401).
 */
export declare function closePolicy(code: number, reason: string, httpStatus?: number): CloseAction;

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
export class RoomdError extends Error {
    /**
     * A WebSocket close code (1000–4999) for connection errors, `0` for errors that
     * have none (a refused request, a closed client).
     */
    code;
    /** The server's close reason or error message, as sent. */
    reason;
    constructor(code, reason, message) {
        super(message ?? (reason ? `roomd: ${reason} (${code})` : `roomd: connection closed (${code})`));
        this.name = new.target.name;
        this.code = code;
        this.reason = reason;
    }
}
/** 4500, or a handshake answered with HTTP 401: a missing, unknown or invalid token. */
export class Unauthorized extends RoomdError {
}
/** 4501: the token expired (without a token provider there is no fresh one to try). */
export class TokenExpired extends RoomdError {
}
/** 4502: the token was revoked. */
export class TokenRevoked extends RoomdError {
}
/** 4503: an operator disconnected this client. */
export class DisconnectedByOperator extends RoomdError {
}
/** 1002 / 1007 / 1009: the server saw a protocol violation: a bug on the client side. */
export class ProtocolViolation extends RoomdError {
}
/**
 * A close the library does not reconnect after that is none of the above: 1000 sent
 * by the server unasked, another code from 4500–4999, or a server that does not
 * speak `roomd.v1`.
 */
export class ConnectionClosed extends RoomdError {
}
/** The application called `close()` (pending sends and requests reject with this). */
export class ClientClosed extends RoomdError {
    constructor() {
        super(1000, "closed by the application", "roomd: the client was closed");
    }
}
/**
 * A request the server refused with an `error` frame (`code` is the protocol's error
 * code, e.g. `not_joined`, `too_large`, `forbidden`, `not_found`; `banned` and `muted`
 * are the subclasses {@link Banned} and {@link Muted}), or with a `notice` (a send that
 * was not stored: `code` is `notice`, `reason` the notice's reason, e.g. `repeated`).
 */
export class RequestRefused extends RoomdError {
    /** The protocol error code (`bad_request`, `not_joined`, …) or `notice`. */
    errorCode;
    /** A notice's `reason` (`repeated`, `banned_word`), when the refusal was a notice. */
    noticeReason;
    constructor(errorCode, message, noticeReason) {
        super(0, message, `roomd: ${errorCode}: ${message}`);
        this.errorCode = errorCode;
        this.noticeReason = noticeReason;
    }
}
/**
 * A `join` refused with `banned`: this user is banned from the room. `expiresAt` is
 * when the ban lapses (RFC 3339), or `null` for a ban until lifted.
 */
export class Banned extends RequestRefused {
    room;
    expiresAt;
    constructor(room, message, expiresAt) {
        super("banned", message);
        this.room = room;
        this.expiresAt = expiresAt;
    }
}
/**
 * A `send` refused with `muted`: this user may read the room but not post (the
 * message was not stored, and the client does not resend it). `expiresAt` is when
 * the mute lapses (RFC 3339), or `null` for a mute until lifted.
 */
export class Muted extends RequestRefused {
    room;
    expiresAt;
    constructor(room, message, expiresAt) {
        super("muted", message);
        this.room = room;
        this.expiresAt = expiresAt;
    }
}
/** The room was closed (deleted, or this user removed): `reason` says which. */
export class RoomClosed extends RoomdError {
    room;
    constructor(room, reason) {
        super(0, reason, `roomd: room ${room} closed: ${reason}`);
        this.room = room;
    }
}
/**
 * The close-code table of docs/PROTOCOL.md. `httpStatus` is the handshake's HTTP
 * status when the WebSocket implementation reports one (the `ws` package does; a
 * browser never does, which is why a 1.1 server upgrades and closes with 4500–4502
 * instead of answering 401).
 */
export function closePolicy(code, reason, httpStatus) {
    if (httpStatus !== undefined) {
        if (httpStatus === 401)
            return { kind: "stop", error: new Unauthorized(4500, reason || "HTTP 401 on the handshake") };
        // 429 / 503: rate limits, session quotas, connection limit: retry after a delay
        // (Retry-After is not visible through the WebSocket API; one second is its usual value).
        if (httpStatus === 429 || httpStatus === 503)
            return { kind: "reconnect", minDelayMs: 1000 };
        return { kind: "reconnect" };
    }
    switch (code) {
        case 1000:
            return { kind: "stop", error: new ConnectionClosed(1000, reason || "the server closed the connection normally") };
        case 1002:
        case 1007:
        case 1009:
            return { kind: "stop", error: new ProtocolViolation(code, reason || "protocol violation") };
        case 1008:
            // A protocol 1.0 server closes a revoked token's sessions with 1008 "token
            // revoked" (1.1 uses 4502); other 1008s (policy violations) are retryable.
            if (/revoked/i.test(reason))
                return { kind: "stop", error: new TokenRevoked(code, reason) };
            return { kind: "reconnect" };
        case 1012:
        case 4000:
        case 4001:
            return { kind: "reconnect-now" };
        case 4500:
            return { kind: "stop", error: new Unauthorized(code, reason || "unauthorized") };
        case 4501:
            return { kind: "refresh-token", error: new TokenExpired(code, reason || "token expired") };
        case 4502:
            return { kind: "stop", error: new TokenRevoked(code, reason || "token revoked") };
        case 4503:
            return { kind: "stop", error: new DisconnectedByOperator(code, reason || "disconnected by an operator") };
    }
    if (code >= 4500 && code <= 4999)
        return { kind: "stop", error: new ConnectionClosed(code, reason) };
    // 1001, 1006, 1011, 4002–4499 and anything else: reconnect with backoff, resume.
    return { kind: "reconnect" };
}

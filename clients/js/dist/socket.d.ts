/**
 * One WebSocket connection: choosing the WebSocket implementation, carrying the
 * token, and turning the implementation's events into three callbacks (`onOpen`,
 * `onText`, `onClose` with a code, a reason and — when the implementation exposes
 * it — the handshake's HTTP status). Nothing here knows about rooms or frames.
 */
/** The part of the WHATWG WebSocket API the library uses (browsers, Node, `ws`). */
export interface WebSocketLike {
    readonly readyState: number;
    readonly protocol: string;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    addEventListener(type: string, listener: (event: any) => void): void;
}
/** A WebSocket constructor: `globalThis.WebSocket`, or `WebSocket` from the `ws` package. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
/**
 * How the token reaches the server.
 * - `subprotocol` (default): offers `roomd.v1` and `roomd.token.<TOKEN>` as WebSocket
 *   subprotocols; works in browsers (which cannot set headers), and proxies do not
 *   log it. Needs a protocol 1.1 server.
 * - `query`: `?token=TOKEN` on the URL; works with 1.0 servers too, but the token
 *   lands in access logs.
 */
export type TokenCarrier = "subprotocol" | "query";
/** The subprotocol a 1.1 server selects. */
export declare const PROTOCOL_NAME = "roomd.v1";
/** The prefix of the token-bearing subprotocol. */
export declare const TOKEN_PROTOCOL_PREFIX = "roomd.token.";
/** Raised when no WebSocket implementation is available. */
export declare class NoWebSocketError extends Error {
    constructor();
}
/** The given constructor, else `globalThis.WebSocket`, else a {@link NoWebSocketError}. */
export declare function resolveWebSocket(given?: WebSocketConstructor): WebSocketConstructor;
/** How one connection ended. */
export interface SocketClose {
    code: number;
    reason: string;
    /** The handshake's HTTP status, when the implementation reports one (`ws` does). */
    httpStatus?: number;
    /** Set when the server answered without selecting `roomd.v1` (not a 1.1 server). */
    noSubprotocol?: boolean;
}
/** Callbacks of one connection; `onClose` is called exactly once. */
export interface SocketHandlers {
    onOpen(): void;
    onText(text: string): void;
    onClose(close: SocketClose): void;
}
/**
 * Opens a connection to `url` with `token`. Returns the socket; every outcome,
 * including a constructor that throws, is reported through `handlers.onClose`
 * (asynchronously).
 */
export declare function openSocket(Ctor: WebSocketConstructor, url: string, token: string, carrier: TokenCarrier, handlers: SocketHandlers): WebSocketLike | null;

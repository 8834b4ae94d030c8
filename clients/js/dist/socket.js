/**
 * One WebSocket connection: choosing the WebSocket implementation, carrying the
 * token, and turning the implementation's events into three callbacks (`onOpen`,
 * `onText`, `onClose` with a code, a reason and — when the implementation exposes
 * it — the handshake's HTTP status). Nothing here knows about rooms or frames.
 */
/** The subprotocol a 1.1 server selects. */
export const PROTOCOL_NAME = "roomd.v1";
/** The prefix of the token-bearing subprotocol. */
export const TOKEN_PROTOCOL_PREFIX = "roomd.token.";
/** Raised when no WebSocket implementation is available. */
export class NoWebSocketError extends Error {
    constructor() {
        super("roomd: no WebSocket implementation: globalThis.WebSocket is undefined " +
            "(Node 20 has it only with --experimental-websocket). Pass one: " +
            "connect(url, { token, WebSocket }) with `import { WebSocket } from \"ws\"`.");
        this.name = "NoWebSocketError";
    }
}
/** The given constructor, else `globalThis.WebSocket`, else a {@link NoWebSocketError}. */
export function resolveWebSocket(given) {
    const ctor = given ?? globalThis.WebSocket;
    if (typeof ctor !== "function")
        throw new NoWebSocketError();
    return ctor;
}
/** A characters-only check of what a subprotocol may hold (RFC 7230 `token`). */
const TCHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Opens a connection to `url` with `token`. Returns the socket; every outcome,
 * including a constructor that throws, is reported through `handlers.onClose`
 * (asynchronously).
 */
export function openSocket(Ctor, url, token, carrier, handlers) {
    let closed = false;
    let httpStatus;
    let noSubprotocol = false;
    const finish = (close) => {
        if (closed)
            return;
        closed = true;
        handlers.onClose(close);
    };
    let ws;
    try {
        if (carrier === "subprotocol") {
            if (!TCHARS.test(token)) {
                queueMicrotask(() => finish({ code: 4500, reason: "the token holds characters a WebSocket subprotocol cannot carry" }));
                return null;
            }
            ws = new Ctor(url, [PROTOCOL_NAME, TOKEN_PROTOCOL_PREFIX + token]);
        }
        else {
            const u = new URL(url);
            u.searchParams.set("token", token);
            ws = new Ctor(u.toString());
        }
    }
    catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        queueMicrotask(() => finish({ code: 1006, reason }));
        return null;
    }
    let opened = false;
    ws.addEventListener("open", () => {
        opened = true;
        if (carrier === "subprotocol" && ws.protocol !== PROTOCOL_NAME) {
            noSubprotocol = true;
            ws.close(1000);
            finish({ code: 1006, reason: `the server selected subprotocol "${ws.protocol}", not ${PROTOCOL_NAME}`, noSubprotocol });
            return;
        }
        handlers.onOpen();
    });
    ws.addEventListener("message", (event) => {
        if (closed)
            return;
        if (typeof event.data === "string")
            handlers.onText(event.data);
    });
    ws.addEventListener("error", (event) => {
        // The `ws` package reports a refused handshake as "Unexpected server response: 401"
        // and a server that selected no subprotocol as "Server sent no subprotocol"; a
        // browser reports neither (it sees only a 1006 close).
        const message = event?.message ?? event?.error?.message ?? "";
        const m = /Unexpected server response: (\d{3})/.exec(message);
        if (m)
            httpStatus = Number(m[1]);
        if (/no subprotocol/i.test(message))
            noSubprotocol = true;
        // The standard fires `close` after `error`, but Node 20's built-in WebSocket
        // fires only `error` when the connection is refused and stays CONNECTING: a
        // failure before `open` ends the attempt here, and one after it ends the
        // connection if no `close` follows within a second.
        const failed = { code: 1006, reason: message };
        if (httpStatus !== undefined)
            failed.httpStatus = httpStatus;
        if (noSubprotocol)
            failed.noSubprotocol = true;
        if (!opened) {
            finish(failed);
            try {
                ws.close();
            }
            catch {
                // not closable in this state
            }
        }
        else {
            setTimeout(() => finish(failed), 1000);
        }
    });
    ws.addEventListener("close", (event) => {
        const close = { code: event?.code ?? 1006, reason: event?.reason ?? "" };
        if (httpStatus !== undefined)
            close.httpStatus = httpStatus;
        if (noSubprotocol)
            close.noSubprotocol = true;
        finish(close);
    });
    return ws;
}

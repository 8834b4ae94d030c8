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
import { Backoff } from "./backoff.js";
import { CommandRegistry } from "./commands.js";
import { Emitter } from "./emitter.js";
import { Banned, ClientClosed, ConnectionClosed, Muted, RequestRefused, RoomClosed, RoomdError, closePolicy, } from "./errors.js";
import { randomId } from "./ids.js";
import { Outbox } from "./outbox.js";
import { openSocket, resolveWebSocket, } from "./socket.js";
/** An internal, retryable error for requests bound to a connection that ended. */
class ConnectionLost extends RoomdError {
}
let opCounter = 0;
/**
 * The client. Create it with {@link connect} (which waits for the first `hello`) or
 * with `new RoomdClient(url, options)` followed by `start()`.
 */
export class RoomdClient {
    url;
    options;
    emitter = new Emitter();
    Ctor;
    carrier;
    backoff;
    retryOptions;
    handshakeTimeoutMs;
    rooms = new Map();
    ops = new Map();
    commands;
    conn = null;
    state = "idle";
    reconnectTimer;
    connectedOnce = false;
    firstOpen;
    closedResult;
    /** The user this client is connected as (from the latest `hello`). */
    user;
    /** The server session id (from the latest `hello`). */
    session;
    /** The limits of the latest `hello`. */
    limits;
    constructor(url, options) {
        this.url = url;
        this.options = options;
        this.Ctor = resolveWebSocket(options.WebSocket);
        this.carrier = options.tokenCarrier ?? "subprotocol";
        this.backoff = new Backoff(options.reconnectBackoff ?? {});
        this.retryOptions = options.retryBackoff ?? { baseMs: 100, maxMs: 2000 };
        this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10000;
        this.commands = new CommandRegistry(this, (code, message) => this.emitter.emit({ type: "error", code, message }));
        let resolve;
        let reject;
        const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
        promise.catch(() => { }); // observed through opened() / closed
        this.firstOpen = { promise, resolve, reject };
        let resolveClosed;
        this.closedResult = {
            promise: new Promise((res) => (resolveClosed = res)),
            resolve: resolveClosed,
        };
    }
    // ---------------------------------------------------------------- public API
    /** Starts connecting (idempotent). */
    start() {
        if (this.state === "idle")
            void this.connectOnce();
        return this;
    }
    /**
     * Resolves on the first `hello`; retryable failures (server down, reset) are
     * retried meanwhile. Rejects with the typed error when the client stops first.
     */
    opened() {
        return this.firstOpen.promise;
    }
    /** Resolves when the client has stopped for good: with the error, or `undefined` after `close()`. */
    get closed() {
        return this.closedResult.promise;
    }
    /** Whether a connection is up now (past `hello`). */
    get connected() {
        return this.conn?.ready === true;
    }
    /** Calls `listener` for every event of `type`; returns the unsubscribe function. */
    on(type, listener) {
        return this.emitter.on(type, listener);
    }
    /** Removes a listener. */
    off(type, listener) {
        this.emitter.off(type, listener);
    }
    /** The next event of `type` matching `predicate`, waiting at most `timeoutMs` when given. */
    waitFor(type, predicate, timeoutMs) {
        return this.emitter.waitFor(type, predicate, timeoutMs);
    }
    /**
     * Joins `room` (and joins it again after every reconnect, resuming after the last
     * message handed to the application). Resolves with the first `joined`.
     */
    join(room, options = {}) {
        if (this.state === "closed")
            return Promise.reject(new ClientClosed());
        let r = this.rooms.get(room);
        if (!r) {
            r = {
                name: room,
                joinId: `j${++opCounter}`,
                lastDelivered: options.afterSeq,
                joinSentOn: null,
                joinedOn: null,
                everJoined: false,
                joinWaiters: [],
                joinRetryTimer: undefined,
                joinRetries: new Backoff(this.retryOptions),
                lastJoined: undefined,
                filling: false,
                buffer: [],
                heldDeletes: [],
            };
            this.rooms.set(room, r);
        }
        if (r.joinedOn !== null && r.joinedOn === this.conn && r.lastJoined) {
            return Promise.resolve(r.lastJoined); // already joined on this connection
        }
        const state = r;
        const promise = new Promise((resolve, reject) => state.joinWaiters.push({ resolve, reject }));
        if (this.conn?.ready && state.joinSentOn !== this.conn)
            this.sendJoin(state);
        return promise;
    }
    /** Leaves `room`: its unanswered requests reject, and it is not joined again. */
    leave(room) {
        const r = this.rooms.get(room);
        if (!r)
            return;
        this.forgetRoom(r, new RequestRefused("not_joined", `left room ${room}`));
        if (this.conn?.ready && r.joinSentOn === this.conn)
            this.write({ type: "leave", room });
    }
    /**
     * Sends `text` to `room`. Resolves with the `ack` once the message is stored. If
     * the connection drops first, the send is written again (same `client_id`) after
     * the room is joined again, so it is stored once; `room_unavailable` and
     * `rate_limited` are retried. Rejects with {@link RequestRefused} when the server
     * refuses it for good, or with the error that stopped the client.
     */
    send(room, text, options = {}) {
        const clientId = options.clientId ?? randomId("c-");
        const frame = { type: "send", room, text, client_id: clientId };
        if (options.replyTo !== undefined)
            frame.reply_to = options.replyTo;
        return this.request(room, "send", frame, (f) => ({
            room: f.room,
            seq: f.seq,
            client_id: f.client_id ?? clientId,
            duplicate: f.duplicate === true,
        }));
    }
    /** One page of `room`'s history before `beforeSeq` (newest page without it), oldest first. */
    historyPage(room, options = {}) {
        return this.historyRequest(room, options.beforeSeq, options.limit, null);
    }
    /**
     * `room`'s history backwards, newest first, from before `beforeSeq` (from the
     * newest message without it), fetching pages of `pageSize` (default 100) as it goes.
     */
    async *history(room, options = {}) {
        let before = options.beforeSeq;
        for (;;) {
            const page = await this.historyPage(room, { beforeSeq: before, limit: options.pageSize ?? 100 });
            for (let i = page.messages.length - 1; i >= 0; i--)
                yield page.messages[i];
            if (!page.has_more || page.messages.length === 0)
                return;
            before = page.messages[0].seq;
        }
    }
    /**
     * Deletes the message `seq` of `room` (your own, or anyone's with role moderator or
     * higher). Resolves with the server's `deleted` reply once the tombstone is stored
     * (deleting a tombstone again resolves with the original deleter and time); every
     * session in the room, this one too, also gets a `message_deleted` event. Rejects
     * with {@link RequestRefused}: `errorCode` `forbidden` (another's message without
     * the role), `not_found` (no message with that seq), `not_joined`. Written again
     * after a reconnect if unanswered (a repeat is harmless).
     */
    delete(room, seq, options = {}) {
        const frame = { type: "delete", room, seq };
        if (options.reason !== undefined)
            frame.reason = options.reason;
        return this.request(room, "delete", frame, (f) => ({
            room: f.room,
            seq: f.seq,
            deleted_by: f.deleted_by,
            deleted_at: f.deleted_at,
        }));
    }
    /** Moves this user's read position in `room` to `seq`; resolves with the position in force. */
    markRead(room, seq) {
        return this.request(room, "read", { type: "read", room, seq }, (f) => f.seq);
    }
    /** Tells the room this user is typing (ephemeral: dropped while disconnected). Returns whether it was sent. */
    typing(room, active) {
        const r = this.rooms.get(room);
        if (!this.conn?.ready || !r || r.joinedOn !== this.conn)
            return false;
        this.write({ type: "typing", room, active });
        return true;
    }
    /**
     * Registers a bot command `name` in `room` (or `*`) on the current connection.
     * Low level: {@link command} registers in every joined room and again after
     * every reconnect.
     */
    registerCommand(room, name, description, minRole) {
        const frame = { type: "register_command", room, name };
        if (description !== undefined)
            frame.description = description;
        if (minRole !== undefined)
            frame.min_role = minRole;
        return this.request(room, "register", frame, (f) => {
            const event = {
                type: "registered",
                room: f.room,
                name: f.name,
                description: f.description ?? "",
                min_role: f.min_role ?? "member",
            };
            this.emitter.emit(event);
            return event;
        });
    }
    /**
     * Bot helper: handles `!name` in every room this client joins (or only in
     * `options.rooms`), registering it after every join and rejoin. The handler's
     * return value (a string) or `ctx.reply(text)` is sent as the answer, with
     * `reply_to` = the invocation id. Returns a function that stops handling it.
     */
    command(name, options, handler) {
        return this.commands.add(name, options, handler);
    }
    /** The last seq handed to the application in `room` (the resume point). */
    lastSeq(room) {
        return this.rooms.get(room)?.lastDelivered;
    }
    /** Closes the connection for good; pending requests reject with {@link ClientClosed}. */
    close() {
        if (this.state === "closed")
            return;
        const conn = this.conn;
        if (conn) {
            this.endConn(conn);
            try {
                conn.ws?.close(1000);
            }
            catch {
                // already closing
            }
        }
        this.stop(undefined);
    }
    // ---------------------------------------------------------- connection cycle
    async connectOnce() {
        if (this.state === "closed")
            return;
        this.state = "connecting";
        const conn = { ws: null, outbox: null, ready: false, ended: false, lastReceived: Date.now(), timers: [] };
        this.conn = conn;
        let token;
        try {
            token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
        }
        catch (err) {
            if (conn !== this.conn || conn.ended)
                return;
            if (err instanceof RoomdError) {
                this.endConn(conn);
                this.stop(err);
                return;
            }
            this.onClose(conn, { code: 1006, reason: `the token provider failed: ${err?.message ?? err}` });
            return;
        }
        if (conn !== this.conn || conn.ended)
            return;
        conn.ws = openSocket(this.Ctor, this.url, token, this.carrier, {
            onOpen: () => { },
            onText: (text) => this.onText(conn, text),
            onClose: (close) => this.onClose(conn, close),
        });
        conn.timers.push(setTimeout(() => {
            if (!conn.ready)
                this.abandon(conn, `no hello within ${this.handshakeTimeoutMs} ms`);
        }, this.handshakeTimeoutMs));
    }
    /** Gives up on a connection that is open but not working; reconnects. */
    abandon(conn, reason) {
        const ws = conn.ws;
        this.onClose(conn, { code: 1006, reason });
        try {
            ws?.close(4000, reason.slice(0, 100));
        }
        catch {
            // already closed
        }
    }
    /** Marks a connection over: stops its timers and outbox, forgets what was written on it. */
    endConn(conn) {
        if (conn.ended)
            return;
        conn.ended = true;
        conn.ready = false;
        conn.outbox?.stop();
        for (const t of conn.timers)
            clearTimeout(t);
        for (const r of this.rooms.values()) {
            if (r.joinRetryTimer !== undefined)
                clearTimeout(r.joinRetryTimer);
            r.joinRetryTimer = undefined;
            r.joinSentOn = null;
            r.joinedOn = null;
            r.filling = false;
            r.buffer = [];
            r.heldDeletes = [];
        }
        for (const op of [...this.ops.values()]) {
            if (op.retryTimer !== undefined)
                clearTimeout(op.retryTimer);
            op.retryTimer = undefined;
            op.writtenOn = null;
            if (op.connBound === conn) {
                this.ops.delete(op.id);
                op.reject(new ConnectionLost(1006, "connection lost"));
            }
        }
    }
    onClose(conn, close) {
        if (conn !== this.conn || conn.ended)
            return;
        this.endConn(conn);
        if (this.state === "closed")
            return;
        let action;
        if (close.noSubprotocol) {
            action = {
                kind: "stop",
                error: new ConnectionClosed(close.code, close.reason || "the server did not select the roomd.v1 subprotocol", "roomd: the server did not select the roomd.v1 subprotocol (a server before protocol 1.1? use tokenCarrier: \"query\")"),
            };
        }
        else {
            action = closePolicy(close.code, close.reason, close.httpStatus);
        }
        if (action.kind === "refresh-token") {
            action = typeof this.options.token === "function" ? { kind: "reconnect" } : { kind: "stop", error: action.error };
        }
        const base = { type: "disconnected", code: close.code, reason: close.reason };
        const withStatus = close.httpStatus !== undefined ? { httpStatus: close.httpStatus } : {};
        if (action.kind === "stop") {
            this.emitter.emit({ ...base, ...withStatus, willReconnect: false });
            this.stop(action.error);
            return;
        }
        const delayMs = action.kind === "reconnect-now"
            ? this.backoff.jitterOnly()
            : Math.max(action.minDelayMs ?? 0, this.backoff.next());
        this.state = "waiting";
        this.emitter.emit({ ...base, ...withStatus, willReconnect: true, delayMs });
        this.reconnectTimer = setTimeout(() => {
            this.reconnectTimer = undefined;
            void this.connectOnce();
        }, delayMs);
    }
    /** Stops for good: rejects everything pending, emits `close`. */
    stop(error) {
        if (this.state === "closed")
            return;
        this.state = "closed";
        if (this.reconnectTimer !== undefined)
            clearTimeout(this.reconnectTimer);
        const reason = error ?? new ClientClosed();
        for (const r of [...this.rooms.values()])
            this.forgetRoom(r, reason);
        for (const op of [...this.ops.values()]) {
            this.ops.delete(op.id);
            op.reject(reason);
        }
        this.firstOpen.reject(reason);
        this.emitter.emit(error ? { type: "close", error } : { type: "close" });
        this.closedResult.resolve(error);
    }
    onHello(conn, f) {
        conn.ready = true;
        this.state = "open";
        conn.timers.push(setTimeout(() => this.backoff.reset(), this.backoff.resetAfterMs));
        this.user = f.user;
        this.session = f.session;
        this.limits = f.limits;
        const limits = f.limits ?? { msgs_per_sec: 50, burst: 100 };
        conn.outbox = new Outbox((text) => {
            try {
                conn.ws?.send(text);
            }
            catch {
                // the socket is closing: its close event follows
            }
        }, limits.msgs_per_sec, limits.burst);
        const heartbeat = typeof f.heartbeat_ms === "number" && f.heartbeat_ms > 0 ? f.heartbeat_ms : 30000;
        this.watchLiveness(conn, heartbeat);
        const reconnected = this.connectedOnce;
        this.connectedOnce = true;
        const event = {
            type: "connected",
            session: f.session,
            user: f.user,
            heartbeat_ms: heartbeat,
            limits,
            reconnected,
        };
        if (typeof f.protocol === "string")
            event.protocol = f.protocol;
        this.emitter.emit(event);
        this.firstOpen.resolve();
        if (conn !== this.conn || !conn.ready)
            return;
        for (const r of this.rooms.values())
            this.sendJoin(r);
    }
    /**
     * Sends a `ping` when the server has been silent for a heartbeat interval, and
     * drops a connection silent for two intervals plus a margin (a half-open TCP
     * connection, which no close event would ever report).
     */
    watchLiveness(conn, heartbeatMs) {
        const tick = Math.max(250, Math.min(heartbeatMs / 2, 15000));
        const check = () => {
            if (conn.ended)
                return;
            const idle = Date.now() - conn.lastReceived;
            if (idle > 2 * heartbeatMs + 2000) {
                this.abandon(conn, `no frame from the server for ${idle} ms`);
                return;
            }
            if (idle >= heartbeatMs)
                this.write({ type: "ping" });
            conn.timers.push(setTimeout(check, tick));
        };
        conn.timers.push(setTimeout(check, tick));
    }
    write(frame) {
        this.conn?.outbox?.push(JSON.stringify(frame));
    }
    // ------------------------------------------------------------------ frames
    onText(conn, text) {
        if (conn !== this.conn || conn.ended)
            return;
        conn.lastReceived = Date.now();
        let f;
        try {
            f = JSON.parse(text);
        }
        catch {
            return;
        }
        if (!f || typeof f !== "object")
            return;
        if (f.type === "hello") {
            this.onHello(conn, f);
            return;
        }
        if (!conn.ready)
            return;
        switch (f.type) {
            case "joined":
                this.onJoined(conn, f);
                break;
            case "message":
                this.onMessage(conn, f);
                break;
            case "ack":
            case "history":
            case "registered":
            case "deleted":
                this.answer(f);
                break;
            case "message_deleted":
                this.onMessageDeleted(conn, f);
                break;
            case "read":
                if (!this.answer(f))
                    this.emitter.emit({ type: "read", room: f.room, user: f.user, seq: f.seq });
                break;
            case "error":
                this.onError(f);
                break;
            case "notice":
                this.onNotice(f);
                break;
            case "member_joined":
            case "member_left":
                this.emitter.emit({ type: f.type, room: f.room, user: f.user });
                break;
            case "typing":
                this.emitter.emit({ type: "typing", room: f.room, user: f.user, active: f.active === true });
                break;
            case "room_closed": {
                const r = this.rooms.get(f.room);
                if (r)
                    this.forgetRoom(r, new RoomClosed(f.room, f.reason ?? ""));
                this.emitter.emit({ type: "room_closed", room: f.room, reason: f.reason ?? "" });
                break;
            }
            case "command": {
                const { type: _t, id: _id, ...rest } = f;
                const event = { type: "command", ...rest };
                this.emitter.emit(event);
                this.commands.dispatch(event);
                break;
            }
            default:
                break; // pong, left, future frame types
        }
    }
    // ----------------------------------------------------------------- rooms
    sendJoin(r) {
        const conn = this.conn;
        if (!conn?.ready)
            return;
        r.joinSentOn = conn;
        const frame = { type: "join", room: r.name, id: r.joinId };
        if (r.lastDelivered !== undefined)
            frame.after_seq = r.lastDelivered;
        this.write(frame);
    }
    onJoined(conn, f) {
        const r = this.rooms.get(f.room);
        if (!r || f.id !== r.joinId)
            return;
        r.joinedOn = conn;
        r.joinRetries.reset();
        const resumed = r.everJoined;
        r.everJoined = true;
        if (r.lastDelivered === undefined)
            r.lastDelivered = f.seq;
        const event = {
            type: "joined",
            room: f.room,
            seq: f.seq,
            last_read_seq: f.last_read_seq,
            unread: f.unread,
            truncated: f.truncated === true,
            members: f.members ?? [],
            resumed,
        };
        // The replay (or nothing, when truncated) follows `joined`: page the gap first.
        if (event.truncated && r.lastDelivered !== undefined && f.seq > r.lastDelivered) {
            void this.fillGap(r, conn, r.lastDelivered, f.seq);
        }
        r.lastJoined = event;
        const waiters = r.joinWaiters;
        r.joinWaiters = [];
        this.emitter.emit(event);
        for (const w of waiters)
            w.resolve(event);
        if (r.joinedOn !== conn || conn.ended)
            return;
        for (const op of [...this.ops.values()])
            if (op.room === r.name)
                this.tryWrite(op);
    }
    onMessage(conn, f) {
        const r = this.rooms.get(f.room);
        if (!r || r.joinedOn !== conn)
            return;
        const { id: _id, ...m } = f;
        if (r.filling) {
            r.buffer.push(m);
            return;
        }
        this.deliver(r, conn, m, true);
    }
    onMessageDeleted(conn, f) {
        const r = this.rooms.get(f.room);
        if (!r || r.joinedOn !== conn)
            return;
        const event = {
            type: "message_deleted",
            room: f.room,
            seq: f.seq,
            deleted_by: f.deleted_by,
            deleted_at: f.deleted_at,
        };
        // While a gap is paged, the message it is about may still be held back.
        if (r.filling)
            r.heldDeletes.push(event);
        else
            this.emitter.emit(event);
    }
    /**
     * Hands `m` to the application unless it was handed over already. A seq past a
     * hole (which the protocol never sends within a connection; kept as a safeguard)
     * pages the hole from history first.
     */
    deliver(r, conn, m, checkGap) {
        const last = r.lastDelivered;
        if (last !== undefined && m.seq <= last)
            return;
        if (checkGap && last !== undefined && m.seq > last + 1) {
            r.buffer.push(m);
            void this.fillGap(r, conn, last, m.seq - 1);
            return;
        }
        r.lastDelivered = m.seq;
        this.emitter.emit(m);
    }
    /** Pages `(from, to]` from history and delivers it, then the live messages held meanwhile. */
    async fillGap(r, conn, from, to) {
        r.filling = true;
        const collected = [];
        let before = to + 1;
        try {
            for (;;) {
                const page = await this.historyRequest(r.name, before, 500, conn);
                for (const m of page.messages)
                    if (m.seq > from && m.seq <= to)
                        collected.push(m);
                const oldest = page.messages[0]?.seq;
                if (!page.has_more || oldest === undefined || oldest <= from + 1)
                    break;
                before = oldest;
            }
        }
        catch {
            return; // the connection ended: the rejoin resumes from lastDelivered
        }
        if (conn.ended || r.joinedOn !== conn || this.rooms.get(r.name) !== r)
            return;
        collected.sort((a, b) => a.seq - b.seq);
        r.filling = false;
        for (const m of collected)
            this.deliver(r, conn, m, false);
        const held = r.buffer.sort((a, b) => a.seq - b.seq);
        r.buffer = [];
        for (const m of held) {
            if (r.filling)
                r.buffer.push(m);
            else
                this.deliver(r, conn, m, true);
        }
        if (r.filling)
            return; // another gap: the deletions wait for it too
        const deletes = r.heldDeletes;
        r.heldDeletes = [];
        for (const d of deletes)
            this.emitter.emit(d);
    }
    /** Drops a room: its join waiters and requests reject with `error`. */
    forgetRoom(r, error) {
        if (this.rooms.get(r.name) === r)
            this.rooms.delete(r.name);
        if (r.joinRetryTimer !== undefined)
            clearTimeout(r.joinRetryTimer);
        const waiters = r.joinWaiters;
        r.joinWaiters = [];
        for (const w of waiters)
            w.reject(error);
        for (const op of [...this.ops.values()]) {
            if (op.room !== r.name)
                continue;
            if (op.retryTimer !== undefined)
                clearTimeout(op.retryTimer);
            this.ops.delete(op.id);
            op.reject(error);
        }
    }
    // -------------------------------------------------------------- requests
    historyRequest(room, beforeSeq, limit, connBound) {
        const frame = { type: "history", room };
        if (beforeSeq !== undefined)
            frame.before_seq = beforeSeq;
        if (limit !== undefined)
            frame.limit = limit;
        return this.request(room, "history", frame, (f) => ({
            messages: (f.messages ?? []).map((m) => ({ ...m, type: "message" })),
            has_more: f.has_more === true,
        }), connBound);
    }
    /** Creates a request for a room; written when the room is joined on the current connection. */
    request(room, kind, frame, map, connBound = null) {
        if (this.state === "closed")
            return Promise.reject(new ClientClosed());
        if (!this.rooms.has(room) && room !== "*") {
            return Promise.reject(new RequestRefused("not_joined", `join room ${room} first`));
        }
        return new Promise((resolve, reject) => {
            const id = `o${++opCounter}`;
            const op = {
                id,
                room,
                kind,
                frame: { ...frame, id },
                writtenOn: null,
                retryTimer: undefined,
                retries: new Backoff(this.retryOptions),
                connBound,
                resolve: (f) => {
                    try {
                        resolve(map(f));
                    }
                    catch (err) {
                        reject(err);
                    }
                },
                reject,
            };
            this.ops.set(id, op);
            this.tryWrite(op);
        });
    }
    tryWrite(op) {
        const conn = this.conn;
        if (!conn?.ready || op.writtenOn === conn || op.retryTimer !== undefined)
            return;
        if (op.connBound && op.connBound !== conn)
            return;
        if (op.room === "*") {
            // A "*" registration needs no room joined.
        }
        else {
            const r = this.rooms.get(op.room);
            if (!r || r.joinedOn !== conn)
                return;
        }
        op.writtenOn = conn;
        this.write(op.frame);
    }
    /** Resolves the request `f.id` answers; false when it answers none. */
    answer(f) {
        const op = typeof f.id === "string" ? this.ops.get(f.id) : undefined;
        if (!op)
            return false;
        this.ops.delete(op.id);
        op.resolve(f);
        return true;
    }
    retryLater(op, delayMs) {
        op.writtenOn = null;
        if (op.retryTimer !== undefined)
            clearTimeout(op.retryTimer);
        op.retryTimer = setTimeout(() => {
            op.retryTimer = undefined;
            this.tryWrite(op);
        }, delayMs);
    }
    onError(f) {
        const code = String(f.code ?? "internal");
        const message = String(f.message ?? "");
        const retryAfter = typeof f.retry_after_ms === "number" ? f.retry_after_ms : undefined;
        // A join's error.
        for (const r of this.rooms.values()) {
            if (f.id !== r.joinId)
                continue;
            if (code === "rate_limited" || code === "room_unavailable") {
                const delay = code === "rate_limited" ? (retryAfter ?? 1000) : r.joinRetries.next() + 50;
                r.joinSentOn = null;
                r.joinRetryTimer = setTimeout(() => {
                    r.joinRetryTimer = undefined;
                    if (this.rooms.get(r.name) === r && this.conn?.ready && r.joinedOn !== this.conn)
                        this.sendJoin(r);
                }, delay);
                return;
            }
            if (code === "banned") {
                // Banned: reject the join; a rejoin (after a reconnect) ends the room as the
                // server's own room_closed for a ban does, and it is not joined again.
                this.forgetRoom(r, new Banned(r.name, message, expiresAt(f)));
                if (r.everJoined)
                    this.emitter.emit({ type: "room_closed", room: r.name, reason: "banned" });
                return;
            }
            const hadWaiters = r.joinWaiters.length > 0;
            this.forgetRoom(r, new RequestRefused(code, message));
            if (!hadWaiters)
                this.emitter.emit({ type: "error", code, message });
            return;
        }
        const op = typeof f.id === "string" ? this.ops.get(f.id) : undefined;
        if (op) {
            if (code === "rate_limited")
                return this.retryLater(op, retryAfter ?? 1000);
            if (code === "room_unavailable")
                return this.retryLater(op, op.retries.next() + 50);
            this.ops.delete(op.id);
            // `muted`: not stored, and not resent (the mute holds until it lapses or is lifted).
            op.reject(code === "muted" ? new Muted(op.room, message, expiresAt(f)) : new RequestRefused(code, message));
            return;
        }
        const event = { type: "error", code, message };
        if (retryAfter !== undefined)
            event.retry_after_ms = retryAfter;
        this.emitter.emit(event);
    }
    onNotice(f) {
        const event = { type: "notice", text: String(f.text ?? "") };
        if (typeof f.room === "string")
            event.room = f.room;
        if (typeof f.reason === "string")
            event.reason = f.reason;
        const op = typeof f.id === "string" ? this.ops.get(f.id) : undefined;
        if (op) {
            // A send the server did not store (repeated text, banned word).
            this.ops.delete(op.id);
            op.reject(new RequestRefused("notice", event.text, event.reason));
        }
        this.emitter.emit(event);
    }
}
/** An error frame's `expires_at` (`banned`, `muted`): RFC 3339, or null (until lifted). */
function expiresAt(f) {
    return typeof f.expires_at === "string" ? f.expires_at : null;
}
/**
 * Connects to roomd at `url` (`ws://host:port/ws`) and resolves once the server
 * said `hello`. A server that is down is retried with backoff meanwhile; a fatal
 * close (bad, revoked or expired token, …) rejects with the typed error.
 */
export async function connect(url, options) {
    const client = new RoomdClient(url, options).start();
    await client.opened();
    return client;
}

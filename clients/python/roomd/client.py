"""The client: one logical session with a roomd server that survives reconnects.

`Client` owns the connection loop (connect, `hello`, rejoin every room with
`after_seq`, resend unacked sends, backoff, stop on the close codes that say so),
the per-room delivery state (the last seq handed to the application, the gap filled
with `history` after a truncated resume) and the pending sends (by `client_id`).
Events reach the application through `async for event in client`.

The protocol is docs/PROTOCOL.md; what the library guarantees on top of it is in
clients/python/README.md ("Reconnects").
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import itertools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Union

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.uri import parse_uri

from .backoff import Backoff
from .errors import (
    Action,
    ClientClosed,
    RequestError,
    RoomClosedError,
    RoomdClosed,
    RoomdError,
    SendRejected,
    close_policy,
    closed_error,
    request_error,
)
from .events import (
    Ack,
    Deleted,
    Event,
    Joined,
    Message,
    MessageDeleted,
    RoomClosed,
    User,
    parse_event,
    parse_members,
)
from .transport import ABNORMAL, Closed, TokenTransport, closed_from_exception, open_connection

log = logging.getLogger("roomd")

TokenProvider = Callable[[], Union[str, Awaitable[str]]]
"""A callable (plain or async) returning a token; asked again before every connect."""

TokenSource = Union[str, TokenProvider]

JoinHook = Callable[[str], Union[Awaitable[None], None]]

# Error codes after which the library repeats a request by itself.
RETRYABLE = frozenset({"room_unavailable", "rate_limited"})

# Largest history page the server gives (docs/PROTOCOL.md: values above 500 count as 500).
MAX_PAGE = 500


class _ConnectionLost(Exception):
    """A request's connection ended before its reply: ask again on the next one."""


class _Stop:
    """Queued after the last event: iteration ends (or raises the fatal error)."""


_STOP = _Stop()


@dataclass
class _Room:
    """Delivery state of one room the application joined."""

    name: str
    # The last seq handed to the application; None until the first `joined`
    # (a first join starts from the room's current seq unless `after_seq` was given).
    last_delivered: int | None
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    last_joined: Joined | None = None
    ever_joined: bool = False
    # While a truncated resume's gap is paged with `history`, live messages (and
    # deletions, which follow the message they are about) wait here.
    filling: bool = False
    buffer: list[Message | MessageDeleted] = field(default_factory=list)
    fill_task: asyncio.Task[None] | None = None
    waiters: list[asyncio.Future[Joined]] = field(default_factory=list)


@dataclass
class _PendingSend:
    """A `send` not yet acked; resent with the same `client_id` until it is."""

    room: str
    text: str
    client_id: str
    reply_to: str | None
    future: asyncio.Future[Ack]
    sent_generation: int = 0  # the connection it was last written on
    retries: int = 0
    retry_timer: asyncio.TimerHandle | None = None


class Client:
    """A roomd client that reconnects by itself. Make one with `roomd.connect()`.

    Guarantees (README.md, "Reconnects"): every message of a joined room is handed to
    the application once, in seq order, across reconnects; every `send()` is stored
    once and resolves with its `Ack`; a close that must not be retried raises a
    `RoomdClosed` subclass from `send()`, `join()`, `history()` and the event iterator.
    """

    def __init__(
        self,
        url: str,
        token: TokenSource,
        *,
        token_transport: TokenTransport = "subprotocol",
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        send_retry_delay: float = 0.25,
        max_size: int | None = 64 * 1024 * 1024,
        websocket_options: dict[str, Any] | None = None,
    ) -> None:
        parse_uri(url)  # a malformed URL raises InvalidURI here, not after retries
        self._url = url
        self._token = token
        self._transport: TokenTransport = token_transport
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._ws_options: dict[str, Any] = {
            "open_timeout": open_timeout,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_size": max_size,
            **(websocket_options or {}),
        }
        self._send_retry_delay = send_retry_delay
        self._events: asyncio.Queue[Event | _Stop] = asyncio.Queue()
        self._rooms: dict[str, _Room] = {}
        self._sends: dict[str, _PendingSend] = {}
        # Frame id -> what it asked, for the current connection only.
        self._inflight: dict[str, tuple[str, Any]] = {}
        self._ids = itertools.count(1)
        self._out: asyncio.Queue[str] | None = None
        self._generation = 0
        self._connected = asyncio.Event()
        # Set (and replaced by a fresh one) each time a connection gets its hello.
        self._new_connection = asyncio.Event()
        self._stopped = asyncio.Event()
        self._error: RoomdClosed | None = None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None
        self._join_hooks: list[JoinHook] = []
        self._hook_tasks: set[asyncio.Task[Any]] = set()
        self.hello: dict[str, Any] | None = None
        """The last `hello` frame (session, user, limits, protocol)."""
        self.attempts = 0
        """Connection attempts made so far (the first included)."""
        self.last_close: Closed | None = None
        """How the last connection (or attempt) ended."""
        self.recent_closes: collections.deque[Closed] = collections.deque(maxlen=50)
        """How the last 50 connections (or attempts) ended, oldest first."""
        self.delayed_resends = 0
        """Sends repeated after a `room_unavailable`, `rate_limited` or `not_joined`."""

    # ---- lifecycle ------------------------------------------------------------------

    async def start(self) -> Client:
        """Connects and waits for the first `hello`. Transient failures are retried
        with backoff; a close that says stop raises its `RoomdClosed` subclass."""
        if self._task is None:
            self._first = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(), name="roomd-client")
        assert self._first is not None
        await asyncio.shield(self._first)
        return self

    async def close(self) -> None:
        """Closes the connection and stops reconnecting. Pending sends and requests
        raise `ClientClosed`; the event iterator ends after the queued events."""
        if self._closing:
            return
        self._closing = True
        self._fail(ClientClosed())
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        for t in list(self._hook_tasks):
            t.cancel()

    async def __aenter__(self) -> Client:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def generation(self) -> int:
        """How many connections got as far as `hello` (1 after the first connect)."""
        return self._generation

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def error(self) -> RoomdClosed | None:
        """The exception that stopped the client, if it stopped."""
        return self._error

    @property
    def user(self) -> User | None:
        """Who the token says we are (from `hello`)."""
        return User.from_json(self.hello.get("user")) if self.hello else None

    @property
    def protocol(self) -> str:
        """The server's protocol version (`hello.protocol`; "1.0" when absent)."""
        return str(self.hello.get("protocol", "1.0")) if self.hello else "1.0"

    async def wait_connected(self, newer_than: int = 0) -> int:
        """Waits until a connection whose `generation` is above `newer_than` is up
        (returns at once if one is) and returns its generation; raises the error that
        stopped the client, if it stops. `wait_connected(client.generation)` waits
        for the next connection."""
        while True:
            self._raise_if_stopped()
            if self._connected.is_set() and self._generation > newer_than:
                return self._generation
            await self._wait_either(self._new_connection)

    def on_joined(self, hook: JoinHook) -> None:
        """Calls `hook(room)` (a function or coroutine function) each time a room is
        joined, after every reconnect too: bots register their commands there."""
        self._join_hooks.append(hook)

    # ---- the application's calls ----------------------------------------------------

    async def join(self, room: str, *, after_seq: int | None = None) -> Joined:
        """Joins `room` (and rejoins it after every reconnect). Without `after_seq`
        delivery starts after the room's current seq; with it, every message after
        `after_seq` is delivered first (paged with `history` if the server truncates)."""
        self._raise_if_stopped()
        r = self._rooms.get(room)
        if r is None:
            r = _Room(room, after_seq)
            self._rooms[room] = r
            if self._connected.is_set():
                self._send_join(r)
        elif r.joined.is_set() and r.last_joined is not None:
            return r.last_joined
        fut: asyncio.Future[Joined] = asyncio.get_running_loop().create_future()
        r.waiters.append(fut)
        return await fut

    async def leave(self, room: str) -> None:
        """Leaves `room`: no more events from it, no rejoin; its pending sends raise
        `RoomClosedError`."""
        r = self._rooms.pop(room, None)
        if r is None:
            return
        self._drop_room(r, RoomClosedError(room, "left"))
        if self._connected.is_set():
            try:
                await self._request_current({"type": "leave", "room": room})
            except (_ConnectionLost, RequestError):
                pass  # gone with the connection, or never joined on it: left either way

    async def send(
        self,
        room: str,
        text: str,
        *,
        client_id: str | None = None,
        reply_to: str | None = None,
    ) -> Ack:
        """Sends `text` to `room` and returns its `Ack` once it is stored.

        A unique `client_id` is generated when none is given; the send is repeated
        with it over reconnects, after `room_unavailable` (short backoff) and after
        `rate_limited` (the given delay) until acked, so it is stored once. Refusals
        raise: `SendRejected` (spam notice), `RequestError` (bad_request, too_large,
        forbidden, …), `Muted` (the user is muted in the room: not stored, not sent
        again), `RoomClosedError`, or the `RoomdClosed` that stopped the client.
        Cancelling the call does not withdraw the send.
        """
        self._raise_if_stopped()
        r = self._rooms.get(room)
        if r is None:
            raise RequestError("not_joined", f"join {room!r} before sending to it")
        cid = client_id if client_id is not None else uuid.uuid4().hex
        self._check_frame_size(room, text, cid, reply_to)
        p = self._sends.get(cid)
        if p is None:
            fut: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
            # A caller that stopped waiting (cancelled) leaves no "exception never
            # retrieved" warning behind.
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            p = _PendingSend(room, text, cid, reply_to, fut)
            self._sends[cid] = p
            if r.joined.is_set():
                self._transmit(p)
        return await asyncio.shield(p.future)

    async def history(
        self, room: str, *, before_seq: int | None = None, page_size: int = 50
    ) -> AsyncIterator[Message]:
        """Pages backwards through `room` (a joined room), newest message first,
        starting before `before_seq` (default: the newest). Each page is one
        `history` request of `page_size` (at most 500) messages."""
        before = before_seq
        while True:
            frame: dict[str, Any] = {"type": "history", "room": room, "limit": min(page_size, MAX_PAGE)}
            if before is not None:
                frame["before_seq"] = before
            reply = await self.request(frame, room=room)
            page = [Message.from_json(m) for m in reply.get("messages", [])]
            for m in reversed(page):
                yield m
            if not page or not reply.get("has_more"):
                return
            before = page[0].seq

    async def delete(self, room: str, seq: int, *, reason: str | None = None) -> Deleted:
        """Deletes message `seq` of `room` (a joined room) and returns the `Deleted`
        reply once the tombstone is stored; every session in the room, ours too,
        then gets a `MessageDeleted` event. One's own messages may be deleted by
        anyone, others' only with the role `moderator` or higher. `reason` (at most
        200 characters) goes to the audit log. Deleting a tombstone again answers
        the original deletion. Refusals raise `RequestError` with the code
        (`forbidden`, `not_found`, `not_joined`, `bad_request`); `room_unavailable`
        and a lost connection are asked again (a deletion is idempotent)."""
        frame: dict[str, Any] = {"type": "delete", "room": room, "seq": seq}
        if reason is not None:
            frame["reason"] = reason
        d = await self.request(frame, room=room)
        return Deleted(
            room=str(d.get("room", room)),
            seq=int(d.get("seq", seq)),
            deleted_by=str(d.get("deleted_by", "")),
            deleted_at=str(d.get("deleted_at", "")),
            raw=d,
        )

    async def typing(self, room: str, active: bool = True) -> None:
        """Tells the room's other users that we are (not) typing; no reply."""
        await self._wait_ready(room)
        self._send_frame({"type": "typing", "room": room, "active": active})

    async def mark_read(self, room: str, seq: int) -> int:
        """Moves our read position in `room` to `seq`; returns the position in force."""
        reply = await self.request({"type": "read", "room": room, "seq": seq}, room=room)
        return int(reply.get("seq", seq))

    async def register_command(
        self, room: str, name: str, *, description: str = "", min_role: str = "member"
    ) -> dict[str, Any]:
        """Registers `!name` for this bot in `room` (or "*") on the current
        connection; returns the `registered` frame. Registrations end with the
        connection: `roomd.Bot` registers again after every reconnect."""
        frame = {
            "type": "register_command",
            "room": room,
            "name": name,
            "description": description,
            "min_role": min_role,
        }
        return await self._request_current(frame)

    async def request(self, frame: dict[str, Any], *, room: str | None = None) -> dict[str, Any]:
        """Sends a request frame (an `id` is added) and returns the reply frame,
        asking again on the next connection if this one drops, and after
        `room_unavailable` / `rate_limited`. With `room`, waits until it is joined.
        Other `error` replies raise `RequestError`."""
        delay = self._send_retry_delay
        while True:
            await self._wait_ready(room)
            try:
                return await self._request_current(dict(frame))
            except _ConnectionLost:
                continue
            except RequestError as e:
                if e.code not in RETRYABLE:
                    raise
                wait = (e.retry_after_ms or 0) / 1000 if e.code == "rate_limited" else delay
                delay = min(delay * 2, 5.0)
                await asyncio.sleep(wait)

    # ---- events ---------------------------------------------------------------------

    def __aiter__(self) -> Client:
        return self

    async def __anext__(self) -> Event:
        ev = await self._events.get()
        if isinstance(ev, _Stop):
            self._events.put_nowait(_STOP)  # for every other reader
            if self._error is not None and not isinstance(self._error, ClientClosed):
                raise self._error
            raise StopAsyncIteration
        return ev

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event; raises `asyncio.TimeoutError` after `timeout` seconds, the fatal
        error if the client stopped, `ClientClosed` if it was closed."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except StopAsyncIteration:
            raise ClientClosed() from None

    # ---- the connection loop --------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._closing:
                closed = await self._attempt()
                if self._closing:
                    return
                self.last_close = closed
                self.recent_closes.append(closed)
                action = close_policy(closed.code, has_token_provider=callable(self._token))
                if action is Action.STOP:
                    log.warning("roomd: stopping after close %s %r", closed.code, closed.reason)
                    self._fail(closed_error(closed.code, closed.reason, closed.http_status))
                    return
                if closed.retry_after is not None:
                    delay = closed.retry_after
                elif action is Action.RECONNECT_NOW:
                    delay = self._backoff.jitter_only()
                else:
                    delay = self._backoff.next_delay()
                log.info("roomd: connection ended (%s %r); reconnecting in %.2fs", closed.code, closed.reason, delay)
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug here must not leave the application hanging
            log.exception("roomd: connection loop failed")
            self._fail(RoomdClosed(ABNORMAL, f"client failure: {e!r}"))

    async def _get_token(self) -> str:
        if isinstance(self._token, str):
            return self._token
        value = self._token()
        if inspect.isawaitable(value):
            value = await value
        return str(value)

    async def _attempt(self) -> Closed:
        self.attempts += 1
        try:
            token = await self._get_token()
            ws = await open_connection(self._url, token, self._transport, **self._ws_options)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            return closed_from_exception(e)
        try:
            return await self._session(ws)
        finally:
            try:
                await asyncio.wait_for(ws.close(), 2)
            except Exception:  # closing a dead socket; nothing to report
                pass

    async def _session(self, ws: ClientConnection) -> Closed:
        try:
            raw = await asyncio.wait_for(ws.recv(), self._open_timeout)
        except ConnectionClosed as e:
            return closed_from_exception(e)
        except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
            return Closed(ABNORMAL, "no hello from the server")
        hello = json.loads(raw)
        if hello.get("type") != "hello":
            return Closed(ABNORMAL, f"expected hello, got {hello.get('type')!r}")
        self.hello = hello
        self._generation += 1
        self._backoff.reset()
        out: asyncio.Queue[str] = asyncio.Queue()
        self._out = out
        writer = asyncio.create_task(self._write_loop(ws, out))
        for r in self._rooms.values():
            self._send_join(r)
        self._connected.set()
        self._new_connection.set()
        self._new_connection = asyncio.Event()
        if self._first is not None and not self._first.done():
            self._first.set_result(None)
        try:
            async for data in ws:
                try:
                    frame = json.loads(data)
                except ValueError:
                    log.warning("roomd: undecodable frame %r", data[:200])
                    continue
                if isinstance(frame, dict):
                    self._dispatch(frame)
            return Closed(ws.protocol.close_code or ABNORMAL, ws.protocol.close_reason or "")
        except ConnectionClosed as e:
            return closed_from_exception(e)
        finally:
            writer.cancel()
            self._teardown()

    async def _write_loop(self, ws: ClientConnection, out: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send(await out.get())
        except ConnectionClosed:
            pass  # the reader sees the close and ends the session

    def _teardown(self) -> None:
        """The connection is gone: what was in flight on it will be asked again."""
        self._connected.clear()
        self._out = None
        for r in self._rooms.values():
            r.joined.clear()
            if r.fill_task is not None:
                r.fill_task.cancel()
                r.fill_task = None
            r.filling = False
            r.buffer.clear()
        inflight, self._inflight = self._inflight, {}
        for kind, what in inflight.values():
            if kind == "req" and not what.done():
                what.set_exception(_ConnectionLost())

    def _fail(self, exc: RoomdClosed) -> None:
        """Stops for good: everything pending raises `exc`, iteration ends."""
        if self._error is not None:
            return
        self._error = exc
        self._stopped.set()
        for p in self._sends.values():
            if p.retry_timer is not None:
                p.retry_timer.cancel()
            if not p.future.done():
                p.future.set_exception(exc)
        self._sends.clear()
        for r in self._rooms.values():
            for w in r.waiters:
                if not w.done():
                    w.set_exception(exc)
            r.waiters.clear()
        for kind, what in self._inflight.values():
            if kind == "req" and not what.done():
                what.set_exception(exc)
        if self._first is not None and not self._first.done():
            self._first.set_exception(exc)
        self._events.put_nowait(_STOP)

    def _raise_if_stopped(self) -> None:
        if self._error is not None:
            raise self._error

    async def _wait_ready(self, room: str | None) -> None:
        """Waits until connected (and `room` joined on this connection)."""
        while True:
            self._raise_if_stopped()
            if room is None:
                event = self._connected
            else:
                r = self._rooms.get(room)
                if r is None:
                    raise RequestError("not_joined", f"room {room!r} is not joined")
                event = r.joined
            if event.is_set():
                return
            await self._wait_either(event)

    async def _wait_either(self, event: asyncio.Event) -> None:
        """Waits until `event` is set or the client stops."""
        waiter = asyncio.ensure_future(event.wait())
        stopper = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            stopper.cancel()

    # ---- writing --------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"py{next(self._ids)}"

    def _send_frame(self, frame: dict[str, Any]) -> bool:
        if self._out is None:
            return False
        self._out.put_nowait(json.dumps(frame, separators=(",", ":"), ensure_ascii=False))
        return True

    async def _request_current(self, frame: dict[str, Any]) -> dict[str, Any]:
        """One request on the current connection; `_ConnectionLost` if it drops."""
        self._raise_if_stopped()
        rid = self._next_id()
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        frame["id"] = rid
        self._inflight[rid] = ("req", fut)
        try:
            if not self._send_frame(frame):
                raise _ConnectionLost()
            return await fut
        finally:
            self._inflight.pop(rid, None)

    def _send_join(self, r: _Room) -> None:
        rid = self._next_id()
        frame: dict[str, Any] = {"type": "join", "room": r.name, "id": rid}
        if r.last_delivered is not None:
            frame["after_seq"] = r.last_delivered
        self._inflight[rid] = ("join", r.name)
        self._send_frame(frame)

    def _check_frame_size(self, room: str, text: str, cid: str, reply_to: str | None) -> None:
        """Refuses here a send whose frame would exceed `hello.limits.max_frame_bytes`:
        the server would close the connection with 1009 (a protocol violation, which
        stops the client) instead of answering `too_large`."""
        limits = (self.hello or {}).get("limits") or {}
        limit = limits.get("max_frame_bytes")
        if not isinstance(limit, int):
            return
        frame = {"type": "send", "room": room, "text": text, "client_id": cid, "id": "py000000000"}
        if reply_to is not None:
            frame["reply_to"] = reply_to
        size = len(json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode())
        if size > limit:
            raise RequestError("too_large", f"the send frame is {size} bytes; the server takes at most {limit}")

    def _transmit(self, p: _PendingSend) -> None:
        rid = self._next_id()
        frame: dict[str, Any] = {"type": "send", "room": p.room, "text": p.text, "client_id": p.client_id, "id": rid}
        if p.reply_to is not None:
            frame["reply_to"] = p.reply_to
        if self._send_frame(frame):
            self._inflight[rid] = ("send", p.client_id)
            p.sent_generation = self._generation

    def _flush_room(self, r: _Room) -> None:
        """Writes every pending send of `r` not yet written on this connection."""
        for p in list(self._sends.values()):
            if p.room == r.name and p.sent_generation != self._generation and p.retry_timer is None:
                self._transmit(p)

    def _resend_later(self, p: _PendingSend, delay: float) -> None:
        if p.retry_timer is not None:
            p.retry_timer.cancel()
        p.sent_generation = 0
        p.retries += 1
        self.delayed_resends += 1

        def fire() -> None:
            p.retry_timer = None
            r = self._rooms.get(p.room)
            if self._sends.get(p.client_id) is p and r is not None and r.joined.is_set():
                self._transmit(p)

        p.retry_timer = asyncio.get_running_loop().call_later(delay, fire)

    # ---- reading --------------------------------------------------------------------

    def _dispatch(self, d: dict[str, Any]) -> None:
        t = d.get("type")
        rid = d.get("id")
        asked = self._inflight.pop(str(rid), None) if rid is not None else None
        if t == "joined":
            self._on_joined(d)
        elif t == "message":
            self._on_message(Message.from_json(d))
        elif t == "message_deleted":
            self._on_message(MessageDeleted.from_json(d))
        elif t == "ack":
            self._on_ack(d)
        elif t == "error" and asked is not None:
            self._on_request_error(asked, d)
        elif t == "notice" and asked is not None and asked[0] == "send":
            p = self._sends.pop(asked[1], None)
            if p is not None and not p.future.done():
                p.future.set_exception(SendRejected(d.get("reason"), str(d.get("text", ""))))
            self._emit(parse_event(d))
        elif asked is not None and asked[0] == "req":
            if not asked[1].done():
                asked[1].set_result(d)
        elif t == "room_closed":
            r = self._rooms.pop(str(d.get("room")), None)
            if r is not None:
                self._drop_room(r, RoomClosedError(r.name, str(d.get("reason", ""))))
            self._emit(RoomClosed(str(d.get("room")), str(d.get("reason", "")), raw=d))
        else:
            self._emit(parse_event(d))

    def _emit(self, ev: Event | None) -> None:
        if ev is not None:
            self._events.put_nowait(ev)

    def _on_joined(self, d: dict[str, Any]) -> None:
        r = self._rooms.get(str(d.get("room")))
        if r is None:
            return  # left meanwhile
        seq = int(d.get("seq", 0))
        if r.last_delivered is None:
            r.last_delivered = seq
        ev = Joined(
            room=r.name,
            seq=seq,
            last_read_seq=int(d.get("last_read_seq", 0)),
            unread=int(d.get("unread", 0)),
            truncated=bool(d.get("truncated", False)),
            members=parse_members(d.get("members")),
            resumed=r.ever_joined,
            raw=d,
        )
        r.ever_joined = True
        r.last_joined = ev
        self._emit(ev)
        if ev.truncated and r.last_delivered < seq:
            r.filling = True
            r.fill_task = asyncio.create_task(self._fill_gap(r, seq))
        r.joined.set()
        for w in r.waiters:
            if not w.done():
                w.set_result(ev)
        r.waiters.clear()
        self._flush_room(r)
        for hook in self._join_hooks:
            result = hook(r.name)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._hook_tasks.add(task)
                task.add_done_callback(self._hook_done)

    def _hook_done(self, task: asyncio.Task[Any]) -> None:
        self._hook_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("roomd: join hook failed: %r", task.exception())

    async def _fill_gap(self, r: _Room, upto: int) -> None:
        """Truncated resume: pages (last_delivered, upto] with `history`, delivers it
        in order, then the live messages that arrived meanwhile."""
        floor = r.last_delivered or 0
        got: list[Message] = []
        before = upto + 1
        delay = self._send_retry_delay
        try:
            while True:
                frame = {"type": "history", "room": r.name, "before_seq": before, "limit": MAX_PAGE}
                try:
                    reply = await self._request_current(frame)
                except RequestError as e:
                    if e.code not in RETRYABLE:
                        raise
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                page = [Message.from_json(m) for m in reply.get("messages", [])]
                got.extend(m for m in page if m.seq > floor)
                if not page or not reply.get("has_more") or page[0].seq <= floor + 1:
                    break
                before = page[0].seq
        except _ConnectionLost:
            return  # the next `joined` starts over
        except RequestError as e:
            log.error("roomd: could not page the gap of %s: %s; delivering from %s on", r.name, e, upto)
            self._emit(parse_event({"type": "error", "code": e.code, "message": f"history gap in {r.name}: {e}"}))
            got = []
        got.sort(key=lambda m: m.seq)
        r.filling = False
        r.fill_task = None
        for m in got:
            self._deliver(r, m)
        buffered, r.buffer = r.buffer, []
        for m in buffered:
            self._deliver(r, m)

    def _on_message(self, m: Message | MessageDeleted) -> None:
        r = self._rooms.get(m.room)
        if r is None or r.last_delivered is None:
            return
        if r.filling:
            r.buffer.append(m)
        else:
            self._deliver(r, m)

    def _deliver(self, r: _Room, m: Message | MessageDeleted) -> None:
        assert r.last_delivered is not None
        if isinstance(m, MessageDeleted):
            # Takes no seq and follows its message (or is about one delivered before).
            self._events.put_nowait(m)
            return
        if m.seq <= r.last_delivered:
            return  # seen already (a replay overlapping what was delivered)
        r.last_delivered = m.seq
        self._events.put_nowait(m)

    def _on_ack(self, d: dict[str, Any]) -> None:
        cid = d.get("client_id")
        p = self._sends.pop(str(cid), None) if cid is not None else None
        if p is None:
            return  # a duplicate ack of a send already resolved
        if p.retry_timer is not None:
            p.retry_timer.cancel()
        if not p.future.done():
            p.future.set_result(Ack(str(d.get("room")), int(d["seq"]), p.client_id, bool(d.get("duplicate"))))

    def _on_request_error(self, asked: tuple[str, Any], d: dict[str, Any]) -> None:
        kind, what = asked
        err = request_error(d)  # Banned / Muted (with expires_at) or RequestError
        code = err.code
        if kind == "req":
            if not what.done():
                what.set_exception(err)
        elif kind == "send":
            p = self._sends.get(what)
            if p is None:
                return
            if code == "rate_limited":
                self._resend_later(p, (err.retry_after_ms or 100) / 1000)
            elif code in ("room_unavailable", "not_joined"):
                base = self._send_retry_delay * min(2 ** p.retries, 16)
                self._resend_later(p, base * (0.5 + self._backoff.rng.random()))
            else:
                # Refused for good (muted, forbidden, bad_request, …): not resent.
                del self._sends[what]
                if p.retry_timer is not None:
                    p.retry_timer.cancel()
                if not p.future.done():
                    p.future.set_exception(err)
        elif kind == "join":
            r = self._rooms.get(what)
            if r is None:
                return
            if code in RETRYABLE:
                gen = self._generation
                delay = (err.retry_after_ms or 0) / 1000 if code == "rate_limited" else self._send_retry_delay

                def rejoin() -> None:
                    if self._generation == gen and self._connected.is_set() and self._rooms.get(r.name) is r:
                        self._send_join(r)

                asyncio.get_running_loop().call_later(delay, rejoin)
            else:
                # banned, forbidden, not_found (deleted meanwhile), …: the room is
                # given up; a refused rejoin ends with RoomClosed(reason=code).
                del self._rooms[what]
                for w in r.waiters:
                    if not w.done():
                        w.set_exception(err)
                r.waiters.clear()
                self._drop_room(r, err)
                if r.ever_joined:  # a rejoin failed: tell the application
                    self._emit(RoomClosed(r.name, code, raw=d))

    def _drop_room(self, r: _Room, exc: RoomdError) -> None:
        """`r` is no longer joined: its pending sends raise `exc`."""
        if r.fill_task is not None:
            r.fill_task.cancel()
        for cid, p in list(self._sends.items()):
            if p.room == r.name:
                del self._sends[cid]
                if p.retry_timer is not None:
                    p.retry_timer.cancel()
                if not p.future.done():
                    p.future.set_exception(exc)
        for w in r.waiters:
            if not w.done():
                w.set_exception(exc)
        r.waiters.clear()


class _Connect:
    """What `connect()` returns: await it for a started `Client`, or use it as
    `async with connect(...) as client:` (closed at the end)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __await__(self) -> Generator[Any, None, Client]:
        return self._client.start().__await__()

    async def __aenter__(self) -> Client:
        return await self._client.start()

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()


def connect(
    url: str,
    token: TokenSource,
    *,
    token_transport: TokenTransport = "subprotocol",
    backoff: Backoff | None = None,
    **options: Any,
) -> _Connect:
    """Connects to `url` (`ws://HOST:PORT/ws`) with `token`: a string, or a token
    provider (a function or async function returning one, asked before every
    connect — also after close 4501, token expired).

        async with roomd.connect(url, token) as client:
            await client.join("lobby")
            async for event in client: ...

    Other options are those of `Client`.
    """
    return _Connect(Client(url, token, token_transport=token_transport, backoff=backoff, **options))

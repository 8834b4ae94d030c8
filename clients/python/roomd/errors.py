"""Exceptions the library raises, and the close-code policy that decides between
reconnecting and raising.

This module owns the table of docs/PROTOCOL.md ("Close codes"):
`close_policy()` maps a close code (or an HTTP status of a refused handshake) to what
the client does next, and `closed_error()` builds the typed exception raised to the
application when the answer is "stop".
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timezone
from typing import Any


class RoomdError(Exception):
    """Base class of every exception this library raises."""


class RoomdClosed(RoomdError):
    """The client stopped for good: the server closed the connection with a code
    that says not to reconnect (or the application closed the client).

    `code` is the WebSocket close code (4500 also stands for an HTTP 401 handshake
    response, whose status is then in `http_status`); `reason` is the server's text.
    """

    def __init__(self, code: int, reason: str = "", http_status: int | None = None) -> None:
        self.code = code
        self.reason = reason
        self.http_status = http_status
        where = f"HTTP {http_status}" if http_status is not None else f"close {code}"
        super().__init__(f"{where}: {reason}" if reason else where)


class Unauthorized(RoomdClosed):
    """4500 (or HTTP 401 on the handshake): missing, unknown or invalid token."""


class TokenExpired(RoomdClosed):
    """4501: the token expired and no token provider was given to fetch a new one."""


class TokenRevoked(RoomdClosed):
    """4502: the token was revoked."""


class DisconnectedByOperator(RoomdClosed):
    """4503: an operator disconnected this session."""


class ProtocolViolation(RoomdClosed):
    """1002 / 1007 / 1009: the server says this client broke the protocol (a bug)."""


class ClientClosed(RoomdClosed):
    """The application closed the client (`Client.close()`); pending work is dropped."""

    def __init__(self) -> None:
        super().__init__(1000, "closed by the application")


class RequestError(RoomdError):
    """The server answered a request with an `error` frame (docs/PROTOCOL.md, Errors)
    that the library does not retry by itself: `code` is the error code
    (`bad_request`, `forbidden`, `not_joined`, `too_large`, `internal`, …)."""

    def __init__(self, code: str, message: str = "", retry_after_ms: int | None = None) -> None:
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms
        super().__init__(f"{code}: {message}" if message else code)


class Banned(RequestError):
    """A `join` refused with `banned`: this user is banned from the room until
    `expires_at` (an aware datetime, UTC), or until lifted when it is None."""

    def __init__(self, message: str = "", expires_at: datetime | None = None) -> None:
        super().__init__("banned", message)
        self.expires_at = expires_at


class Muted(RequestError):
    """A `send` refused with `muted`: nothing was stored and the library does not
    send it again. The mute lasts until `expires_at` (an aware datetime, UTC), or
    until lifted when it is None."""

    def __init__(self, message: str = "", expires_at: datetime | None = None) -> None:
        super().__init__("muted", message)
        self.expires_at = expires_at


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time of the server (`2026-12-06T12:00:00.000Z`) as an aware
    datetime; None for null, or for a value it cannot read."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat reads only 3 or 6 fraction digits.
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def request_error(d: dict[str, Any]) -> RequestError:
    """The exception for an `error` frame answering a request: `Banned` and
    `Muted` (with `expires_at`) for those codes, `RequestError` otherwise."""
    code = str(d.get("code", ""))
    message = str(d.get("message", ""))
    if code == "banned":
        return Banned(message, parse_time(d.get("expires_at")))
    if code == "muted":
        return Muted(message, parse_time(d.get("expires_at")))
    return RequestError(code, message, d.get("retry_after_ms"))


class SendRejected(RoomdError):
    """A `send` refused by the room's spam control with a `notice` (`reason` is
    `repeated` or `banned_word`): nothing was stored."""

    def __init__(self, reason: str | None, text: str) -> None:
        self.reason = reason
        self.text = text
        super().__init__(f"{reason}: {text}" if reason else text)


class RoomClosedError(RoomdError):
    """The room was deleted, or this user removed from it (`room_closed`), while a
    send or request for it was pending."""

    def __init__(self, room: str, reason: str) -> None:
        self.room = room
        self.reason = reason
        super().__init__(f"room {room} closed: {reason}")


class Action(enum.Enum):
    """What the connection loop does after a connection ends."""

    STOP = "stop"
    RECONNECT = "reconnect"  # exponential backoff with full jitter
    RECONNECT_NOW = "reconnect_now"  # jitter only (1012: the room moved)
    REFRESH_TOKEN = "refresh_token"  # 4501 with a token provider: ask it, reconnect


_STOP_ERRORS: dict[int, type[RoomdClosed]] = {
    1000: RoomdClosed,
    1002: ProtocolViolation,
    1007: ProtocolViolation,
    1009: ProtocolViolation,
    4500: Unauthorized,
    4501: TokenExpired,
    4502: TokenRevoked,
    4503: DisconnectedByOperator,
}


# Reconnect at once (with jitter only): the room moved (1012), heartbeat timeout
# (4000), slow consumer (4001). 4002 (policy violations) waits the backoff.
_AT_ONCE = frozenset({1012, 4000, 4001})


def close_policy(code: int, *, has_token_provider: bool = False) -> Action:
    """The close-code table of docs/PROTOCOL.md ("Close codes"): what to do after
    close `code`.

    1000, 1002, 1007, 1009 and 4500-4999 stop (4501 reconnects when a token provider
    can give a fresh token); 1012, 4000 and 4001 reconnect at once (jitter only);
    everything else (1001, 1006, 1011, 4002, other 4000-4499, unknown codes)
    reconnects with backoff. Every reconnect resumes.
    """
    if code == 4501 and has_token_provider:
        return Action.REFRESH_TOKEN
    if code in _STOP_ERRORS or 4500 <= code <= 4999:
        return Action.STOP
    if code in _AT_ONCE:
        return Action.RECONNECT_NOW
    return Action.RECONNECT


def closed_error(code: int, reason: str, http_status: int | None = None) -> RoomdClosed:
    """The exception raised to the application for a close that stops the client."""
    cls = _STOP_ERRORS.get(code, RoomdClosed)
    return cls(code, reason, http_status)



"""One WebSocket connection attempt: the token carrier and what a failure means.

`open_connection()` opens `GET /ws` with the token in the chosen carrier (by default
the subprotocols `roomd.v1` + `roomd.token.<T>` of protocol 1.1) and turns every way
an attempt or a connection can end into a `Closed` record (close code, reason,
Retry-After), which `roomd.errors.close_policy` then judges.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

TokenTransport = Literal["subprotocol", "header", "query"]

SUBPROTOCOL = "roomd.v1"
TOKEN_PREFIX = "roomd.token."

# An HTTP 401 on the handshake counts as close 4500 (docs/PROTOCOL.md, 1.1).
UNAUTHORIZED = 4500
# No close frame: reset, refused, server killed. Never sent on the wire.
ABNORMAL = 1006


@dataclass(frozen=True)
class Closed:
    """How a connection (or an attempt at one) ended.

    `code` is the close code received (1006 when none was), `http_status` the status
    of a refused handshake (401 maps to code 4500), `retry_after` the seconds of an
    HTTP 429/503 `Retry-After` header.
    """

    code: int
    reason: str = ""
    http_status: int | None = None
    retry_after: float | None = None


async def open_connection(
    url: str,
    token: str,
    transport: TokenTransport = "subprotocol",
    **options: Any,
) -> ClientConnection:
    """Opens one connection; raises `InvalidURI` for a bad URL and whatever the
    handshake raised otherwise (`closed_from_exception` classifies it).

    `transport`: "subprotocol" offers `roomd.v1` and `roomd.token.<T>` (protocol
    1.1; auth failures then arrive as close codes 4500-4502). "header"
    (`Authorization: Bearer`) and "query" (`?token=`) are the 1.0 carriers and offer
    no subprotocol, so auth failures arrive as HTTP 401 (treated as 4500)."""
    headers: dict[str, str] = {}
    subprotocols: list[Subprotocol] | None = None
    if transport == "subprotocol":
        subprotocols = [Subprotocol(SUBPROTOCOL), Subprotocol(TOKEN_PREFIX + token)]
    elif transport == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif transport == "query":
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.urlencode([*urllib.parse.parse_qsl(parts.query), ("token", token)])
        url = urllib.parse.urlunsplit(parts._replace(query=query))
    else:
        raise ValueError(f"unknown token transport {transport!r}")
    return await connect(url, subprotocols=subprotocols, additional_headers=headers or None, **options)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def closed_from_exception(exc: BaseException) -> Closed:
    """The `Closed` record for an exception raised while connecting or reading."""
    if isinstance(exc, InvalidURI):
        raise exc
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        body = exc.response.body.decode("utf-8", "replace") if exc.response.body else ""
        if status == 401:
            return Closed(UNAUTHORIZED, body, http_status=401)
        retry = _retry_after(exc.response.headers.get("Retry-After")) if status in (429, 503) else None
        return Closed(ABNORMAL, body, http_status=status, retry_after=retry)
    if isinstance(exc, ConnectionClosed):
        if exc.rcvd is not None:
            return Closed(exc.rcvd.code, exc.rcvd.reason)
        return Closed(ABNORMAL, "no close frame received")
    return Closed(ABNORMAL, f"{type(exc).__name__}: {exc}")

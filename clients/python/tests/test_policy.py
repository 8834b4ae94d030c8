"""The close-code table of docs/PROTOCOL.md as `roomd.close_policy` applies it, the
exception each stopping code raises, and the backoff's full-jitter bounds."""

from __future__ import annotations

import random

import pytest
from websockets.exceptions import InvalidURI

import roomd
from roomd.errors import Action, closed_error


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (1000, Action.STOP),
        (1001, Action.RECONNECT),
        (1002, Action.STOP),
        (1006, Action.RECONNECT),
        (1007, Action.STOP),
        (1008, Action.RECONNECT),
        (1009, Action.STOP),
        (1011, Action.RECONNECT),
        (1012, Action.RECONNECT_NOW),
        (4000, Action.RECONNECT_NOW),
        (4001, Action.RECONNECT_NOW),
        (4002, Action.RECONNECT),
        (4003, Action.RECONNECT),
        (4499, Action.RECONNECT),
        (4500, Action.STOP),
        (4501, Action.STOP),
        (4502, Action.STOP),
        (4503, Action.STOP),
        (4999, Action.STOP),
        (3000, Action.RECONNECT),
    ],
)
def test_close_policy(code: int, action: Action) -> None:
    assert roomd.close_policy(code) is action


def test_expired_token_with_a_provider_is_refreshed() -> None:
    assert roomd.close_policy(4501, has_token_provider=True) is Action.REFRESH_TOKEN
    assert roomd.close_policy(4502, has_token_provider=True) is Action.STOP


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1000, roomd.RoomdClosed),
        (1002, roomd.ProtocolViolation),
        (1009, roomd.ProtocolViolation),
        (4500, roomd.Unauthorized),
        (4501, roomd.TokenExpired),
        (4502, roomd.TokenRevoked),
        (4503, roomd.DisconnectedByOperator),
        (4600, roomd.RoomdClosed),
    ],
)
def test_stopping_codes_raise_their_exception(code: int, cls: type[roomd.RoomdClosed]) -> None:
    err = closed_error(code, "why")
    assert type(err) is cls and err.code == code and err.reason == "why"


def test_backoff_full_jitter_bounds_and_reset() -> None:
    b = roomd.Backoff(base=0.1, cap=1.0, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(12)]
    ceilings = [min(1.0, 0.1 * 2**k) for k in range(12)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings))
    assert max(delays[6:]) > 0.2, "later attempts may wait up to the cap"
    b.reset()
    assert b.next_delay() <= 0.1


def test_malformed_url_fails_at_once() -> None:
    with pytest.raises(InvalidURI):
        roomd.Client("http://not-a-websocket-url", "token")

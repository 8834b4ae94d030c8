"""Tokens and the close codes that stop the client: revoked, unknown, expired
(with and without a token provider), and the HTTP 401 of the 1.0 carriers."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest

import roomd
from conftest import RoomdServer, TcpProxy, client_for

JWT_SECRET = "test-secret-for-the-python-client"


def jwt(sub: str, exp: float) -> str:
    """An HS256 JWT as roomd accepts them (docs/PROTOCOL.md, Connecting)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": sub, "exp": int(exp)}).encode())
    sig = hmac.new(JWT_SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(sig)}"


async def test_revoked_while_connected_raises_token_revoked_and_stops(server: RoomdServer) -> None:
    server.room("lobby")
    token_id, token = server.token("user", "dave")
    client = client_for(server, token)
    await client.start()
    await client.join("lobby")
    server.api("DELETE", f"/tokens/{token_id}")

    async def drain() -> None:
        async for _ in client:
            pass

    with pytest.raises(roomd.TokenRevoked) as err:
        await asyncio.wait_for(drain(), 10)
    assert err.value.code == 4502
    with pytest.raises(roomd.TokenRevoked):
        await client.send("lobby", "after the revoke")
    assert client.attempts == 1, "a revoked token must not be retried"
    await client.close()

    # A new connect with the revoked token: the upgrade completes and closes with 4502.
    with pytest.raises(roomd.TokenRevoked) as again:
        await asyncio.wait_for(client_for(server, token).start(), 10)
    assert again.value.code == 4502 and again.value.http_status is None


async def test_unknown_token_stops_at_once_with_4500(server: RoomdServer) -> None:
    client = client_for(server, "rmd_" + "x" * 40)
    with pytest.raises(roomd.Unauthorized) as err:
        await asyncio.wait_for(client.start(), 10)
    assert err.value.code == 4500
    assert client.attempts == 1, "no backoff loop on 4500"


async def test_http_401_counts_as_unauthorized(server: RoomdServer) -> None:
    """The header carrier offers no subprotocol: the server refuses with HTTP 401."""
    client = client_for(server, "rmd_" + "y" * 40, token_transport="header")
    with pytest.raises(roomd.Unauthorized) as err:
        await asyncio.wait_for(client.start(), 10)
    assert err.value.code == 4500 and err.value.http_status == 401
    assert client.attempts == 1


async def test_expired_token_stops_without_provider_and_refreshes_with_one(server: RoomdServer) -> None:
    server.stop()
    server.extra_env["ROOMD__AUTH__JWT_SECRET"] = JWT_SECRET
    server.start()
    expired = jwt("erin", time.time() - 60)
    with pytest.raises(roomd.TokenExpired) as err:
        await asyncio.wait_for(client_for(server, expired).start(), 10)
    assert err.value.code == 4501

    calls: list[str] = []

    async def provider() -> str:
        # The first token has expired; every later one is fresh.
        calls.append("asked")
        return expired if len(calls) == 1 else jwt("erin", time.time() + 600)

    async with client_for(server, provider) as client:
        assert client.user is not None and client.user.id == "erin"
        assert len(calls) == 2 and client.attempts == 2


async def test_token_provider_is_asked_on_every_reconnect(server: RoomdServer, proxy: TcpProxy) -> None:
    _, token = server.token("user", "frank")
    calls = 0

    def provider() -> str:
        nonlocal calls
        calls += 1
        return token

    async with client_for(server, provider, url=proxy.url) as client:
        await client.join("lobby")
        proxy.cut()
        joined = await asyncio.wait_for(anext_joined(client), 10)
        assert joined.resumed
        assert calls == 2 and client.generation == 2


async def anext_joined(client: roomd.Client) -> roomd.Joined:
    async for ev in client:
        if isinstance(ev, roomd.Joined) and ev.resumed:
            return ev
    raise AssertionError("client stopped")



async def test_http_429_with_retry_after_waits_then_connects(server: RoomdServer) -> None:
    """limits.connects_per_ip_per_sec = 1 (loopback limited too): the second upgrade
    within a second gets HTTP 429 with Retry-After; the client waits that long."""
    server.stop()
    server.extra_env.update(
        {"ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC": "1", "ROOMD__LIMITS__CONNECTS_LIMIT_LOOPBACK": "true"}
    )
    server.start()
    _, token = server.token("user", "lena")
    async with client_for(server, token):
        second = client_for(server, token)
        started = time.monotonic()
        await asyncio.wait_for(second.start(), 10)
        waited = time.monotonic() - started
        refused = second.last_close  # the attempt before the one that got in
        assert refused is not None and refused.http_status == 429, refused
        assert refused.retry_after is not None and refused.retry_after >= 1
        assert waited >= refused.retry_after * 0.9, f"connected after {waited:.2f}s, before Retry-After"
        await second.close()


async def test_http_429_without_retry_after_backs_off_and_retries(server: RoomdServer) -> None:
    """limits.max_sessions_per_token = 1: a second session with the same token gets
    HTTP 429 (no Retry-After); the client keeps trying with backoff and gets in once
    the first session is gone."""
    server.stop()
    server.extra_env["ROOMD__LIMITS__MAX_SESSIONS_PER_TOKEN"] = "1"
    server.start()
    _, token = server.token("user", "mona")
    first = client_for(server, token)
    await first.start()
    second = client_for(server, token)
    starting = asyncio.create_task(second.start())
    # The second one cannot get in while the first holds the only session.
    done, _ = await asyncio.wait({starting}, timeout=1.0)
    assert not done, "the second session should have been refused"
    assert second.last_close is not None and second.last_close.http_status == 429
    assert second.attempts >= 2, "a 429 is retried"
    await first.close()
    await asyncio.wait_for(starting, 10)
    assert second.connected
    await second.close()

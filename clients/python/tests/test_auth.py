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

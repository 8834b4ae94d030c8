"""Sends the server refuses for now: `rate_limited` (wait retry_after_ms, resend),
`room_unavailable` from a store writer that holds too many writes (resend with the
same client_id after a short backoff), and a room crashing and restarting under
sends. Every send must end acked and stored once."""

from __future__ import annotations

import asyncio
import collections

from conftest import RoomdServer, client_for


async def test_rate_limited_sends_are_resent_after_the_delay(server: RoomdServer) -> None:
    server.stop()
    server.extra_env.update(
        {
            "ROOMD__LIMITS__MSGS_PER_SEC": "20",
            "ROOMD__LIMITS__BURST": "5",
            "ROOMD__LIMITS__MAX_VIOLATIONS": "100000",
        }
    )
    server.start()
    server.room("slow")
    _, token = server.token("user", "ivan")
    async with client_for(server, token) as client:
        await client.join("slow")
        acks = await asyncio.wait_for(
            asyncio.gather(*(client.send("slow", f"m{i}", client_id=f"rl-{i}") for i in range(30))), 30
        )
        assert client.delayed_resends > 0, "the server should have rate-limited some sends"
    assert sorted(a.seq for a in acks) == list(range(1, 31))
    stored = collections.Counter(m["client_id"] for m in server.stored_messages("slow"))
    assert stored == collections.Counter(f"rl-{i}" for i in range(30))


async def test_sends_during_room_crashes_are_stored_once(server: RoomdServer) -> None:
    server.stop()
    server.extra_env["ROOMD__DEBUG__FAULT_INJECTION"] = "true"
    server.start()
    server.room("crashy")
    _, token = server.token("user", "judy")
    async with client_for(server, token) as client:
        await client.join("crashy")
        sends = []
        for i in range(200):
            sends.append(asyncio.create_task(client.send("crashy", f"m{i}", client_id=f"cr-{i}")))
            if i % 40 == 20:
                await asyncio.to_thread(server.api, "POST", "/rooms/crashy/crash")
        acks = await asyncio.wait_for(asyncio.gather(*sends), 30)
    assert sorted(a.seq for a in acks) == list(range(1, 201))
    stored = collections.Counter(m["client_id"] for m in server.stored_messages("crashy"))
    assert stored == collections.Counter(f"cr-{i}" for i in range(200))
    assert {m["client_id"]: m["seq"] for m in server.stored_messages("crashy")} == {a.client_id: a.seq for a in acks}


async def test_room_unavailable_sends_are_resent_with_the_same_client_id(server: RoomdServer) -> None:
    # store.max_pending = 2 and a 20 ms group-commit delay: a burst of sends finds
    # the store writer full and is answered `room_unavailable`.
    server.stop()
    server.extra_env.update({"ROOMD__STORE__MAX_PENDING": "2", "ROOMD__STORE__BATCH_MAX_DELAY_US": "20000"})
    server.start()
    server.room("busy")
    _, token = server.token("user", "kim")
    async with client_for(server, token) as client:
        await client.join("busy")
        acks = await asyncio.wait_for(
            asyncio.gather(*(client.send("busy", f"m{i}", client_id=f"ru-{i}") for i in range(100))), 30
        )
        assert client.delayed_resends > 0, "the server should have answered some sends room_unavailable"
    assert sorted(a.seq for a in acks) == list(range(1, 101))
    stored = server.stored_messages("busy")
    assert collections.Counter(m["client_id"] for m in stored) == collections.Counter(f"ru-{i}" for i in range(100))

"""Moderation as the library shows it (docs/PROTOCOL.md, "Deleting messages" and
"Moderation"): `delete()` and `MessageDeleted`, tombstones, and bans and mutes as
typed exceptions (`Banned`, `Muted`) and `RoomClosed(reason="banned")`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import pytest

import roomd
from conftest import RoomdServer, TcpProxy, client_for

WAIT = 10.0  # bound for every single wait; a failure says what did not arrive
E = TypeVar("E")


async def next_of(client: roomd.Client, cls: type[E], what: str) -> E:
    """The next event of type `cls`, skipping others, within WAIT seconds."""

    async def find() -> E:
        async for ev in client:
            if isinstance(ev, cls):
                return ev
        raise AssertionError(f"client stopped before {what}")

    try:
        return await asyncio.wait_for(find(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {what} within {WAIT}s") from None


async def events_until(client: roomd.Client, stop: type[E], what: str) -> list[roomd.Event]:
    """Every event up to and including the first of type `stop`."""
    got: list[roomd.Event] = []

    async def collect() -> None:
        async for ev in client:
            got.append(ev)
            if isinstance(ev, stop):
                return
        raise AssertionError(f"client stopped before {what}")

    try:
        await asyncio.wait_for(collect(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {what} within {WAIT}s; got {got}") from None
    return got


def near(t: datetime | None, expected: datetime, slack: float = 60.0) -> bool:
    return t is not None and t.tzinfo is not None and abs((t - expected).total_seconds()) < slack


async def test_delete_own_message(server: RoomdServer) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    _, bob_token = server.token("user", "bob")
    async with client_for(server, alice_token) as alice, client_for(server, bob_token) as bob:
        await alice.join("lobby")
        await bob.join("lobby")
        ack = await alice.send("lobby", "oops", client_id="m1")
        await alice.send("lobby", "kept", client_id="m2")
        for c in (alice, bob):
            m = await next_of(c, roomd.Message, "alice's message")
            assert (m.seq, m.text, m.deleted, m.deleted_by, m.deleted_at) == (ack.seq, "oops", False, None, None)

        deleted = await alice.delete("lobby", ack.seq, reason="typo")
        assert isinstance(deleted, roomd.Deleted)
        assert (deleted.room, deleted.seq, deleted.deleted_by) == ("lobby", ack.seq, "alice")
        assert deleted.deleted_at
        for c in (alice, bob):
            ev = await next_of(c, roomd.MessageDeleted, "message_deleted")
            assert ev == roomd.MessageDeleted("lobby", ack.seq, "alice", deleted.deleted_at, raw=ev.raw)

        # Deleting the tombstone again answers the original deletion.
        again = await alice.delete("lobby", ack.seq)
        assert (again.deleted_by, again.deleted_at) == ("alice", deleted.deleted_at)

        pages = [m async for m in bob.history("lobby")]
        tomb = next(m for m in pages if m.seq == ack.seq)
        assert (tomb.deleted, tomb.text, tomb.deleted_by, tomb.deleted_at) == (True, "", "alice", deleted.deleted_at)
        assert tomb.sender.id == "alice" and tomb.client_id == "m1"
        kept = next(m for m in pages if m.seq == ack.seq + 1)
        assert (kept.deleted, kept.text, kept.deleted_by) == (False, "kept", None)

        with pytest.raises(roomd.RequestError) as err:
            await alice.delete("lobby", 999)
        assert err.value.code == "not_found"
        with pytest.raises(roomd.RequestError) as err:
            await alice.delete("elsewhere", 1)
        assert err.value.code == "not_joined"

        # An operator's deletion reaches the members as one by `system`.
        server.api("DELETE", f"/rooms/lobby/messages/{ack.seq + 1}")
        ev = await next_of(bob, roomd.MessageDeleted, "the operator's message_deleted")
        assert (ev.seq, ev.deleted_by) == (ack.seq + 1, "system")


async def test_resume_replays_the_tombstone(server: RoomdServer, proxy: TcpProxy) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    _, bob_token = server.token("user", "bob")
    async with client_for(server, alice_token) as alice, client_for(server, bob_token, url=proxy.url) as bob:
        await alice.join("lobby")
        await bob.join("lobby")
        gen = bob.generation
        proxy.refusing = True
        proxy.cut()
        ack = await alice.send("lobby", "gone soon")
        await alice.delete("lobby", ack.seq)
        proxy.refusing = False
        await asyncio.wait_for(bob.wait_connected(gen), WAIT)
        m = await next_of(bob, roomd.Message, "the replayed tombstone")
        assert (m.seq, m.deleted, m.text, m.deleted_by) == (ack.seq, True, "", "alice")


async def test_member_cannot_delete_anothers_message(server: RoomdServer) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    _, bob_token = server.token("user", "bob")
    async with client_for(server, alice_token) as alice, client_for(server, bob_token) as bob:
        await alice.join("lobby")
        await bob.join("lobby")
        ack = await alice.send("lobby", "mine")
        with pytest.raises(roomd.RequestError) as err:
            await bob.delete("lobby", ack.seq)
        assert err.value.code == "forbidden"
        assert not isinstance(err.value, (roomd.Banned, roomd.Muted))
        stored = server.stored_messages("lobby")
        assert [(m["seq"], m["text"], m.get("deleted", False)) for m in stored] == [(ack.seq, "mine", False)]
        assert bob.connected and bob.generation == 1


async def test_ban_closes_the_room_and_refuses_joins(server: RoomdServer, proxy: TcpProxy) -> None:
    server.room("lobby")
    server.room("other")
    _, alice_token = server.token("user", "alice")
    async with client_for(server, alice_token, url=proxy.url) as alice:
        await alice.join("lobby")
        server.api("PUT", "/rooms/lobby/bans/alice", json={})
        closed = await next_of(alice, roomd.RoomClosed, "room_closed (banned)")
        assert (closed.room, closed.reason) == ("lobby", "banned")

        with pytest.raises(roomd.Banned) as err:
            await alice.join("lobby")
        assert isinstance(err.value, roomd.RequestError) and err.value.code == "banned"
        assert err.value.expires_at is None  # until lifted

        # The banned room is not rejoined after a reconnect: the next events are
        # those of the new connection's join of another room, nothing about lobby.
        gen = alice.generation
        proxy.cut()
        await asyncio.wait_for(alice.wait_connected(gen), WAIT)
        await alice.join("other")
        seen = await events_until(alice, roomd.Joined, "joined of other")
        assert [getattr(e, "room", None) for e in seen] == ["other"], seen

        # A ban with a duration carries its expiry.
        server.api("PUT", "/rooms/lobby/bans/alice", json={"duration": "2h"})
        with pytest.raises(roomd.Banned) as err:
            await alice.join("lobby")
        assert near(err.value.expires_at, datetime.now(timezone.utc) + timedelta(hours=2))

        # Lifted: the join works again.
        server.api("DELETE", "/rooms/lobby/bans/alice")
        joined = await alice.join("lobby")
        assert joined.room == "lobby"


async def test_rejoin_refused_by_a_ban_ends_the_room(server: RoomdServer, proxy: TcpProxy) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    async with client_for(server, alice_token, url=proxy.url) as alice:
        await alice.join("lobby")
        gen = alice.generation
        proxy.refusing = True
        proxy.cut()
        # Banned while disconnected: no room_closed reaches alice; her rejoin is refused.
        server.api("PUT", "/rooms/lobby/bans/alice", json={"duration": "1h"})
        proxy.refusing = False
        closed = await next_of(alice, roomd.RoomClosed, "RoomClosed after the refused rejoin")
        assert (closed.room, closed.reason) == ("lobby", "banned")
        assert alice.generation > gen
        with pytest.raises(roomd.RequestError) as err:
            await alice.send("lobby", "still here?")
        assert err.value.code == "not_joined"


async def test_muted_send_raises_and_is_not_resent(server: RoomdServer, proxy: TcpProxy) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    _, bob_token = server.token("user", "bob")
    async with client_for(server, alice_token, url=proxy.url) as alice, client_for(server, bob_token) as bob:
        await alice.join("lobby")
        await bob.join("lobby")
        server.api("PUT", "/rooms/lobby/mutes/alice", json={"duration": "30m"})

        with pytest.raises(roomd.Muted) as err:
            await alice.send("lobby", "can you hear me", client_id="muted-1")
        assert isinstance(err.value, roomd.RequestError) and err.value.code == "muted"
        assert near(err.value.expires_at, datetime.now(timezone.utc) + timedelta(minutes=30))
        assert alice.delayed_resends == 0

        # Nothing stored, and nothing sent again after a reconnect either.
        gen = alice.generation
        proxy.cut()
        await asyncio.wait_for(alice.wait_connected(gen), WAIT)
        await next_of(alice, roomd.Joined, "the rejoin")
        server.api("PUT", "/rooms/lobby/mutes/alice", json={})  # until lifted
        with pytest.raises(roomd.Muted) as err:
            await alice.send("lobby", "still muted")
        assert err.value.expires_at is None
        assert alice.delayed_resends == 0
        assert server.stored_messages("lobby") == []

        # Muted users still read; lifted, they send again.
        await bob.send("lobby", "you are muted")
        m = await next_of(alice, roomd.Message, "bob's message")
        assert m.text == "you are muted"
        server.api("DELETE", "/rooms/lobby/mutes/alice")
        ack = await alice.send("lobby", "back", client_id="muted-2")
        assert [(s["seq"], s["text"]) for s in server.stored_messages("lobby")] == [(1, "you are muted"), (ack.seq, "back")]

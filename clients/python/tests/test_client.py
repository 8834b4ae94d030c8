"""What a user of the library notices: typed events, acks, history paging, and
the resume rules (after_seq, truncated resume) against a real server."""

from __future__ import annotations

import asyncio
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


async def test_typed_events_and_ack(server: RoomdServer) -> None:
    server.room("lobby")
    _, alice_token = server.token("user", "alice")
    _, bob_token = server.token("user", "bob")
    async with client_for(server, alice_token) as alice, client_for(server, bob_token) as bob:
        assert alice.user == roomd.User("alice", "alice", "user")
        joined = await alice.join("lobby")
        assert isinstance(joined, roomd.Joined) and joined.room == "lobby" and joined.seq == 0
        assert not joined.truncated and not joined.resumed
        await bob.join("lobby")
        mj = await next_of(alice, roomd.MemberJoined, "member_joined of bob")
        assert mj == roomd.MemberJoined("lobby", roomd.User("bob", "bob", "user"), raw=mj.raw)

        ack = await alice.send("lobby", "hello bob", client_id="c-1")
        assert ack == roomd.Ack(room="lobby", seq=1, client_id="c-1", duplicate=False)
        again = await alice.send("lobby", "hello bob", client_id="c-1")
        assert again.duplicate and again.seq == 1
        generated = await alice.send("lobby", "no client id given")
        assert generated.client_id and generated.seq == 2

        msg = await next_of(bob, roomd.Message, "alice's message")
        assert (msg.room, msg.seq, msg.sender.id, msg.text, msg.client_id) == ("lobby", 1, "alice", "hello bob", "c-1")
        msg2 = await next_of(bob, roomd.Message, "alice's second message")
        assert msg2.seq == 2

        await alice.typing("lobby", True)
        typing = await next_of(bob, roomd.Typing, "typing")
        assert typing.user.id == "alice" and typing.active
        assert await alice.mark_read("lobby", 2) == 2
        read = await next_of(bob, roomd.Read, "read receipt")
        assert read.seq == 2 and read.user.id == "alice"

        with pytest.raises(roomd.RequestError) as err:
            await alice.send("lobby", "x" * 5000)  # over limits.max_text: the server says so
        assert err.value.code == "too_large"
        with pytest.raises(roomd.RequestError) as err:
            await alice.send("lobby", "x" * 70_000)  # over max_frame_bytes: refused before sending
        assert err.value.code == "too_large"
        assert alice.generation == 1 and alice.connected, "an oversized send must not cost the connection"

        server.api("DELETE", "/rooms/lobby/members/bob")
        closed = await next_of(bob, roomd.RoomClosed, "room_closed")
        assert closed.reason == "kicked"
        with pytest.raises(roomd.RequestError):
            await bob.send("lobby", "after the kick")
        left = await next_of(alice, roomd.MemberLeft, "member_left of bob")
        assert left.user.id == "bob"


async def test_server_shutdown_reconnects_and_resumes(server: RoomdServer) -> None:
    """SIGTERM: the server closes with 1001; the client comes back when the server
    does, rejoins, and a message posted meanwhile (by the operator) is delivered."""
    server.room("lobby")
    _, token = server.token("user", "olga")
    async with client_for(server, token) as client:
        await client.join("lobby")
        gen = client.generation
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(server.start)
        server.api("POST", "/rooms/lobby/messages", json={"text": "while you were away"})
        await asyncio.wait_for(client.wait_connected(gen), WAIT)
        assert client.recent_closes[0].code == 1001, list(client.recent_closes)
        msg = await next_of(client, roomd.Message, "the operator's post")
        assert msg.text == "while you were away" and msg.sender.kind == "system" and msg.seq == 1


async def test_history_pages_backwards(server: RoomdServer) -> None:
    server.room("hist")
    _, token = server.token("user", "carol")
    async with client_for(server, token) as c:
        await c.join("hist")
        acks = await asyncio.gather(*(c.send("hist", f"m{i}", client_id=f"h{i}") for i in range(23)))
        assert sorted(a.seq for a in acks) == list(range(1, 24))
        seen = [m.seq async for m in c.history("hist", page_size=5)]
        assert seen == list(range(23, 0, -1))
        older = [m.seq async for m in c.history("hist", before_seq=10, page_size=4)]
        assert older == list(range(9, 0, -1))


async def test_resume_delivers_each_message_once_across_a_cut(server: RoomdServer, proxy: TcpProxy) -> None:
    """A receiver behind the proxy is cut while another client sends: after the
    reconnect it gets what it missed (after_seq), nothing twice."""
    server.room("resume")
    _, rt = server.token("user", "receiver")
    _, st = server.token("user", "sender")
    async with client_for(server, rt, url=proxy.url) as rcv, client_for(server, st) as snd:
        await rcv.join("resume")
        await snd.join("resume")
        for i in range(5):
            await snd.send("resume", f"before {i}")
        assert proxy.cut() == 1
        for i in range(5):
            await snd.send("resume", f"after {i}")
        seqs: list[int] = []
        while len(seqs) < 10:
            m = await next_of(rcv, roomd.Message, f"message {len(seqs) + 1} of 10")
            seqs.append(m.seq)
        assert seqs == list(range(1, 11))
        assert rcv.generation >= 2, "the cut should have forced a reconnect"


async def test_truncated_resume_pages_the_gap(server: RoomdServer, proxy: TcpProxy) -> None:
    """With rooms.max_replay = 5, a receiver that missed 40 messages gets
    `joined` with truncated: true; the library pages them with history and the
    application still sees 1..45 in order, once each."""
    server.stop()
    server.extra_env["ROOMD__ROOMS__MAX_REPLAY"] = "5"
    server.start()
    server.room("gap")
    _, rt = server.token("user", "receiver")
    _, st = server.token("user", "sender")
    async with client_for(server, rt, url=proxy.url) as rcv, client_for(server, st) as snd:
        await rcv.join("gap")
        await snd.join("gap")
        await snd.send("gap", "first")
        first = await next_of(rcv, roomd.Message, "the first message")
        assert first.seq == 1
        proxy.refusing = True  # the receiver cannot come back until the 40 are stored
        proxy.cut()
        await asyncio.gather(*(snd.send("gap", f"missed {i}") for i in range(40)))
        proxy.refusing = False
        joined = await next_of(rcv, roomd.Joined, "the resumed join")
        assert joined.resumed and joined.truncated, joined
        await snd.send("gap", "live")
        seqs = [1]
        while len(seqs) < 42:
            m = await next_of(rcv, roomd.Message, f"message {len(seqs) + 1} of 42")
            seqs.append(m.seq)
        assert seqs == list(range(1, 43))

"""1,000 sends through a TCP proxy that cuts every connection 20 times, while the
server is killed with SIGKILL and restarted twice (same port, same SQLite file),
with `rooms.max_replay` = 20 so that resumes are sometimes truncated.

The receiving application (a second client, also behind the proxy) must see every
message exactly once, in seq order, and the store must hold every send exactly once
(every client_id once, at its acked seq), read back through the admin API.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random

import roomd
from conftest import RoomdServer, TcpProxy, client_for

SENDS = 1000
CUTS = 20
KILLS = 2
WINDOW = 32  # sends in flight at once


async def test_sends_survive_cuts_and_kill9(server: RoomdServer, proxy: TcpProxy) -> None:
    seed = int(os.environ.get("ROOMD_TEST_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    print(f"seed {seed} (set ROOMD_TEST_SEED to repeat the chaos schedule)")
    points = rng.sample(range(10, SENDS - 10), CUTS + KILLS)
    kinds = ["cut"] * CUTS + ["kill"] * KILLS
    rng.shuffle(kinds)
    schedule = dict(zip(points, kinds))

    # A short replay window: a receiver that missed more than 20 messages gets
    # `truncated` and the library pages the gap with `history`.
    server.stop()
    server.extra_env["ROOMD__ROOMS__MAX_REPLAY"] = "20"
    server.start()
    server.room("chaos")
    _, sender_token = server.token("user", "sender")
    _, receiver_token = server.token("user", "receiver")
    rcv = client_for(server, receiver_token, url=proxy.url)
    snd = client_for(server, sender_token, url=proxy.url)
    async with rcv, snd:
        await rcv.join("chaos")
        await snd.join("chaos")
        received: list[roomd.Message] = []
        truncated = 0

        async def receive() -> None:
            nonlocal truncated
            async for ev in rcv:
                truncated += isinstance(ev, roomd.Joined) and ev.truncated
                if isinstance(ev, roomd.Message):
                    received.append(ev)
                    if len(received) == SENDS:
                        return

        receiver = asyncio.create_task(receive())
        window = asyncio.Semaphore(WINDOW)
        acks: dict[str, roomd.Ack] = {}

        async def send_one(i: int) -> None:
            try:
                cid = f"chaos-{i}"
                acks[cid] = await snd.send("chaos", f"message {i}", client_id=cid)
            finally:
                window.release()

        sends = []
        # Cut live connections, not reconnect attempts: each cut waits until both
        # clients are on a connection made after the previous cut (or kill).
        seen = (0, 0)
        for i in range(SENDS):
            await window.acquire()
            if schedule.get(i) == "cut":
                seen = await asyncio.wait_for(
                    asyncio.gather(snd.wait_connected(seen[0]), rcv.wait_connected(seen[1])), 15
                )
                assert proxy.cut() == 2, "both clients' connections are cut"

            elif schedule.get(i) == "kill":
                seen = (snd.generation, rcv.generation)  # the next cut waits for newer ones
                await server.restart_after_kill9()
            sends.append(asyncio.create_task(send_one(i)))
        try:
            await asyncio.wait_for(asyncio.gather(*sends), 30)
        except asyncio.TimeoutError:
            raise AssertionError(f"only {len(acks)} of {SENDS} sends acked within 30 s") from None
        try:
            await asyncio.wait_for(receiver, 20)
        except asyncio.TimeoutError:
            raise AssertionError(f"the receiver got {len(received)} of {SENDS} messages within 20 s") from None

    assert proxy.cuts == CUTS and server.kills == KILLS
    # Each cut and each kill while connected forced a reconnect.
    assert snd.generation >= 1 + CUTS and rcv.generation >= 1 + CUTS, (snd.generation, rcv.generation)

    # Every send acked once, at distinct seqs 1..SENDS (no welcome messages in this room).
    assert len(acks) == SENDS
    assert sorted(a.seq for a in acks.values()) == list(range(1, SENDS + 1))

    # The receiving application: every message once, in seq order, the acked seqs.
    assert [m.seq for m in received] == list(range(1, SENDS + 1))
    assert {m.client_id: m.seq for m in received} == {cid: a.seq for cid, a in acks.items()}

    # The store: every client_id exactly once, at its acked seq.
    stored = server.stored_messages("chaos")
    counts = collections.Counter(m["client_id"] for m in stored)
    assert [cid for cid, n in counts.items() if n != 1] == []
    assert {m["client_id"]: m["seq"] for m in stored} == {cid: a.seq for cid, a in acks.items()}
    duplicates = sum(a.duplicate for a in acks.values())
    print(f"{SENDS} sends, {duplicates} acked as duplicates of a resend, "
          f"sender connections {snd.generation}, receiver connections {rcv.generation}, "
          f"truncated resumes {truncated}")

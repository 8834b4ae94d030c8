#!/usr/bin/env python3
"""Hostile and slow clients against a real roomd, with the server's memory sampled.

Starts `roomd serve` (the binary given, on a fresh SQLite store in a temp dir, on
127.0.0.1 only), runs each scenario once against a fresh server, and prints one JSON
line per scenario: what the attackers saw and the server's RSS (before, peak, and
after the attack ended). Only the Python standard library; every loop is bounded in
count and time. docs/RELIABILITY.md has the figures and how to read them.

    cargo build --release
    python3 benches/scripts/hostile.py target/release/roomd [scenario ...]

Scenarios: header_bomb, burst_nonreader, slow_clients, bad_frame_flood, silent_nonreader.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PORT = 18431
BASE = f"http://127.0.0.1:{PORT}"


# ---- the server -------------------------------------------------------------------

class Server:
    def __init__(self, binary, env):
        self.dir = tempfile.TemporaryDirectory(prefix="roomd-hostile-")
        full_env = dict(os.environ)
        full_env.update({
            "ROOMD__SERVER__BIND": f"127.0.0.1:{PORT}",
            "ROOMD__DATABASE__URL": f"sqlite://{self.dir.name}/roomd.db",
            "ROOMD__LOG__LEVEL": "warning",
        })
        full_env.update(env)
        self.proc = subprocess.Popen([binary, "serve"], cwd=self.dir.name, env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.admin = None
        deadline = time.time() + 30
        while time.time() < deadline and self.admin is None:
            line = self.proc.stderr.readline()
            if line.startswith("rmd_"):
                self.admin = line.strip()
        assert self.admin, "no admin token printed"
        while time.time() < deadline:
            try:
                urllib.request.urlopen(BASE + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.05)

    def api(self, method, path, body=None):
        req = urllib.request.Request(BASE + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self.admin}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def user(self, name):
        return self.api("POST", "/api/v1/tokens", {"kind": "user", "name": name})["token"]

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


class RssSampler:
    """Samples the server's RSS every 50 ms while the attack runs."""

    def __init__(self, server):
        self.server, self.peak, self.running = server, 0, True
        self.before = server.rss_kib()

    async def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_kib())
            await asyncio.sleep(0.05)


# ---- a raw WebSocket client (RFC 6455), enough to misbehave -----------------------

def frame(opcode, payload, fin=True, declared=None):
    """A client frame with the all-zero mask (legal, and no per-byte work)."""
    n = len(payload) if declared is None else declared
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n <= 0xFFFF:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


def text(obj):
    return frame(0x1, json.dumps(obj).encode())


class Ws:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.buf = b""

    @staticmethod
    async def connect(token, rcvbuf=None):
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", PORT))
        r, w = await asyncio.open_connection(sock=sock, limit=1 << 20)
        w.write((f"GET /ws?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await r.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        ws = Ws(r, w)
        await ws.next()  # hello
        return ws

    async def next(self):
        """(opcode, payload) of the next server frame, or None at the end."""
        try:
            while True:
                if len(self.buf) >= 2:
                    n, start = self.buf[1] & 0x7F, 2
                    if n == 126 and len(self.buf) >= 4:
                        n, start = int.from_bytes(self.buf[2:4], "big"), 4
                    elif n == 127 and len(self.buf) >= 10:
                        n, start = int.from_bytes(self.buf[2:10], "big"), 10
                    if n < 126 or start > 2:
                        if len(self.buf) >= start + n:
                            op, payload = self.buf[0] & 0x0F, self.buf[start:start + n]
                            self.buf = self.buf[start + n:]
                            return op, payload
                chunk = await self.r.read(1 << 16)
                if not chunk:
                    return None
                self.buf += chunk
        except (ConnectionError, OSError):
            return None

    async def join(self, room):
        self.w.write(text({"type": "join", "room": room, "id": "j"}))
        while True:
            f = await self.next()
            if f is None or (f[0] == 1 and b'"joined"' in f[1]):
                return

    async def drain(self):
        """Reads until the end; returns (frames, bytes, close code or None)."""
        frames = size = 0
        while True:
            f = await self.next()
            if f is None:
                return frames, size, None
            frames, size = frames + 1, size + len(f[1])
            if f[0] == 0x8:
                return frames, size, int.from_bytes(f[1][:2], "big") if len(f[1]) >= 2 else None


def report(name, sampler, **fields):
    sampler.running = False
    print(json.dumps({"scenario": name, "rss_kib": {"before": sampler.before, "peak": sampler.peak},
                      **fields}), flush=True)


async def settle_rss(server, secs=2.0):
    await asyncio.sleep(secs)
    return server.rss_kib()


# ---- scenarios ----------------------------------------------------------------------

FAST = {"ROOMD__LIMITS__MSGS_PER_SEC": "1000000", "ROOMD__LIMITS__BURST": "1000000",
        "ROOMD__SPAM__MAX_REPEATS": "0"}


async def header_bomb(server):
    """20 clients each declare a 2^62-byte text frame and stream junk as fast as they can."""
    token = server.user("bomber")
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    clients = [await Ws.connect(token) for _ in range(20)]
    junk = b"x" * (1 << 16)

    async def attack(ws):
        ws.w.write(frame(0x1, b"", declared=1 << 62))
        sent, started = 0, time.time()
        try:
            while sent < (64 << 20) and time.time() - started < 10:
                ws.w.write(junk)
                await ws.w.drain()
                sent += len(junk)
        except (ConnectionError, OSError):
            pass
        return sent

    results = await asyncio.gather(*(attack(c) for c in clients), *(c.drain() for c in clients))
    sent, drained = results[:20], results[20:]
    after = await settle_rss(server)
    report("header_bomb", sampler, clients=20, close_codes=sorted({d[2] for d in drained}, key=str),
           junk_mib_sent_max=round(max(sent) / (1 << 20), 1), rss_kib_after=after)
    task.cancel()


async def burst(server, name, nonreaders, messages):
    """`nonreaders` clients that never read sit in a room while 8 senders post
    `messages` 1 KB messages; one more client reads everything."""
    room = "burst"
    server.api("POST", "/api/v1/rooms", {"id": room})
    stalled = []
    for i in range(nonreaders):
        ws = await Ws.connect(server.user(f"stalled{i}"), rcvbuf=4096)
        await ws.join(room)
        ws.r._transport.pause_reading()
        stalled.append(ws)
    reader = await Ws.connect(server.user("reader"))
    await reader.join(room)
    senders = [await Ws.connect(server.user(f"sender{i}")) for i in range(8)]
    for s in senders:
        await s.join(room)
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    body = "m" * 1000
    received = 0

    async def read_all():
        nonlocal received
        while received < messages:
            f = await reader.next()
            if f is None:
                return
            if f[0] == 1 and f[1].startswith(b'{"type":"message"') or b'"type":"message"' in f[1][:200]:
                received += 1

    async def send(k, s):
        drainer = asyncio.create_task(s.drain())
        for i in range(k, messages, len(senders)):
            s.w.write(text({"type": "send", "room": room, "text": body, "client_id": f"c{i}"}))
            if i % 64 == k:
                await s.w.drain()
        await s.w.drain()
        return drainer

    started = time.time()
    reading = asyncio.create_task(read_all())
    drainers = await asyncio.gather(*(send(k, s) for k, s in enumerate(senders)))
    try:
        await asyncio.wait_for(reading, 120)
    except asyncio.TimeoutError:
        pass
    elapsed = time.time() - started
    metrics = urllib.request.urlopen(BASE + "/metrics", timeout=5).read().decode()
    cut = next((float(l.split()[-1]) for l in metrics.splitlines()
                if l.startswith('roomd_ws_closed_total{reason="slow_consumer"}')), None)
    after_attack = server.rss_kib()
    for d in drainers:
        d.cancel()
    after = await settle_rss(server)
    report(name, sampler, nonreaders=nonreaders, messages=messages, reader_received=received,
           secs=round(elapsed, 1), cut_as_slow_consumers=cut, rss_kib_at_end=after_attack,
           rss_kib_after=after)
    task.cancel()


async def burst_nonreader(server):
    await burst(server, "burst_nonreader", 1, 200_000)


async def slow_clients(server):
    await burst(server, "slow_clients", 20, 50_000)


async def bad_frame_flood(server):
    """300,000 one-byte bad frames (binary, malformed text, pings) in one go."""
    ws = await Ws.connect(server.user("flooder"))
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    kinds = [frame(0x2, b"x"), frame(0x1, b"x"), frame(0x9, b"")]
    flood = b"".join(kinds[i % 3] for i in range(300_000))
    sent_bytes = len(flood)
    try:
        ws.w.write(flood)
        await ws.w.drain()
    except (ConnectionError, OSError):
        pass
    frames, size, code = await asyncio.wait_for(ws.drain(), 30)
    report("bad_frame_flood", sampler, frames_sent=300_000, bytes_sent=sent_bytes,
           replies=frames, reply_bytes=size, close_code=code)
    task.cancel()


async def silent_nonreader(server):
    """A client that stops reading (and writing) while its room is busy: closed after
    the heartbeat timeout (session.heartbeat_ms = 2000 here) although its window is full."""
    room = "quiet"
    server.api("POST", "/api/v1/rooms", {"id": room})
    ws = await Ws.connect(server.user("silent"), rcvbuf=4096)
    await ws.join(room)
    ws.r._transport.pause_reading()
    sender = await Ws.connect(server.user("sender"))
    await sender.join(room)
    drainer = asyncio.create_task(sender.drain())
    sampler = RssSampler(server)
    task = asyncio.create_task(sampler.run())
    started = time.time()
    for i in range(2000):
        sender.w.write(text({"type": "send", "room": room, "text": "s" * 1000, "client_id": f"q{i}"}))
    await sender.w.drain()
    closed_after = None
    while time.time() - started < 30:
        metrics = urllib.request.urlopen(BASE + "/metrics", timeout=5).read().decode()
        if any(l.startswith("roomd_ws_connections ") and float(l.split()[-1]) <= 1 for l in metrics.splitlines()):
            closed_after = round(time.time() - started, 2)
            break
        await asyncio.sleep(0.1)
    report("silent_nonreader", sampler, heartbeat_ms=2000, session_closed_after_secs=closed_after)
    drainer.cancel()
    task.cancel()


SCENARIOS = {
    "header_bomb": ({}, header_bomb),
    "burst_nonreader": (FAST, burst_nonreader),
    "slow_clients": (FAST, slow_clients),
    "bad_frame_flood": ({}, bad_frame_flood),
    "silent_nonreader": ({**FAST, "ROOMD__SESSION__HEARTBEAT_MS": "2000"}, silent_nonreader),
}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary, names = sys.argv[1], sys.argv[2:] or list(SCENARIOS)
    for name in names:
        env, run = SCENARIOS[name]
        server = Server(binary, env)
        try:
            asyncio.run(run(server))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
